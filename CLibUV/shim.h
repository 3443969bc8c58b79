#ifndef CLIBUV_SHIM_H
#define CLIBUV_SHIM_H
// The system libuv (Debian: libuv1-dev). Swift reaches every uv_* call through this header.
#include <uv.h>
#endif
