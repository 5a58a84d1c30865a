// Package openapi holds escalator's HTTP interfaces.
//
// This folder holds the three OpenAPI 3.0 specs, which are the single
// source of truth for every message on the wire:
//
//   - vim-maintenance.yaml: the VIM maintenance API, served by the VIM
//     (subscriptions, upgrade sessions, VNFM replies, nodes, VMs);
//   - vnfm-notification.yaml: the VNFM notification API, served by every
//     VNFM at its subscription's callbackUri;
//   - vnf-control.yaml: the VNF control API, served by the simulated VNFs
//     (switch-over, drain, undrain).
//
// Next to them are the packages oapi-codegen generates from them (vimapi,
// vnfmapi, vnfctlapi: models, echo and strict servers, clients, embedded
// specs; regenerate with go generate ./openapi/...), and the HTTP edge
// (package edge: ProblemDetails, the Version header, request and response
// validation against these specs, and the in-process transport).
//
// This package embeds the specs and loads them with kin-openapi: see Load.
// make lint checks them with Redocly (redocly.yaml), and the tests check
// that they validate, follow the SOL013 conventions, and that the generated
// code is fresh.
package openapi
