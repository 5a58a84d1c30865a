package vimhttp

// Base is where the VIM maintenance API lives under the server's root.
const Base = "/vim_maintenance/v1"
