# test_tasks.test_task_basics / test_base_events.test_create_task: create_task schedules the first step;
# the creator runs on until it yields, and tasks start in creation order.
import asyncio


async def child(label):
    print(f"{label} started")
    return label


async def main():
    tasks = [asyncio.create_task(child(f"task {i}")) for i in range(1, 4)]
    print("after create_task")
    print(f"results: {[await t for t in tasks]}")


asyncio.run(main())
