// Package vimhttp puts the Upgrade Manager on the wire: it serves the VIM
// maintenance API (subscriptions, upgrade sessions, VNFM replies, node and
// VM queries, VNFM-requested migrations) and implements the orchestrator's
// Notifier port by POSTing notifications to each subscriber's callbackUri,
// with its credentials and with retries until the reply deadline.
//
// State lives on the event loop: every handler reaches the Manager and the
// subscriptions through an exec function, so the package works the same on
// a virtual loop (in-process calls) and a real-time one (TCP).
package vimhttp
