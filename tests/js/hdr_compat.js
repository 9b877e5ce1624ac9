#!/usr/bin/env node
// Cross-checks poolbench's HdrHistogram V2 codec against an independent implementation,
// hdr-histogram-js (installed from this directory's package-lock.json with `npm ci`).
//
// Usage: node hdr_compat.js INPUT.json   (prints one JSON document on stdout)
// INPUT: {"decode": [{"name", "base64", "percentiles": [p, ...]}, ...],
//         "encode": [{"name", "lowest", "highest", "digits", "values": [[value, count], ...]}]}
// OUTPUT: {"decoded": [{"name", "totalCount", "minNonZeroValue" (null when empty),
//          "maxValue", "percentiles": [[p, value], ...]}],
//          "encoded": [{"name", "base64"}]}
// Exit status 1 with a message on stderr on any error (including a decoding error).
'use strict';

const fs = require('fs');
const hdr = require('hdr-histogram-js');

function main() {
  if (process.argv.length !== 3) {
    throw new Error('usage: node hdr_compat.js INPUT.json');
  }
  const input = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
  const decoded = (input.decode || []).map((item) => {
    // hdr-histogram-js defaults: 32-bit counts, no WebAssembly.
    const h = hdr.decodeFromCompressedBase64(item.base64);
    const empty = h.totalCount === 0;
    return {
      name: item.name,
      totalCount: h.totalCount,
      minNonZeroValue: empty ? null : h.minNonZeroValue,
      maxValue: h.maxValue,
      percentiles: item.percentiles.map((p) => [p, h.getValueAtPercentile(p)]),
    };
  });
  const encoded = (input.encode || []).map((item) => {
    const h = hdr.build({
      lowestDiscernibleValue: item.lowest,
      highestTrackableValue: item.highest,
      numberOfSignificantValueDigits: item.digits,
      bitBucketSize: 64,
      useWebAssembly: false,
    });
    for (const [value, count] of item.values) {
      h.recordValueWithCount(value, count);
    }
    return { name: item.name, base64: hdr.encodeIntoCompressedBase64(h) };
  });
  process.stdout.write(JSON.stringify({ decoded, encoded }) + '\n');
}

try {
  main();
} catch (error) {
  process.stderr.write(`hdr_compat.js: ${error && error.stack ? error.stack : error}\n`);
  process.exit(1);
}
