#!/usr/bin/env node
// The `screentime` command: the compiled CLI lives in dist/ (npm run build:node).
import '../dist/pipeline/cli/main.js';
