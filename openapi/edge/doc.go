// Package edge is the HTTP edge shared by every escalator interface: RFC
// 7807 ProblemDetails and the mapping from error codes to statuses, the
// ETSI Version header, validation of every request and response against
// the OpenAPI specs (incoming on servers, outgoing on clients), and the
// in-process transport that hands a request to a server's handler without
// a socket so virtual-time runs stay deterministic.
package edge
