// AsyncioHTTP speaks swift-http-types' currency types (HTTPRequest, HTTPResponse, HTTPFields,
// HTTPField.Name's `.contentType`...): re-exported, so that `import AsyncioHTTP` is enough, as with
// Hummingbird.
@_exported import HTTPTypes
