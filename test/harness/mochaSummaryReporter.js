// Mocha reporter used by scripts/test.mjs: mocha's spec output, plus the run's real counts
// written as JSON to $KMS_TEST_SUMMARY_FILE ({"passes","failures","pending","tests"}), so the
// closing "N passed, N failed" line adds up numbers mocha counted, not parsed text.
// (Plain CommonJS: mocha require()s reporters.)
'use strict';
const { writeFileSync } = require('node:fs');
const Mocha = require('mocha');

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    runner.once('end', () => {
      const file = process.env.KMS_TEST_SUMMARY_FILE;
      if (!file) return;
      const { passes, failures, pending, tests } = this.stats;
      writeFileSync(file, JSON.stringify({ passes, failures, pending, tests }));
    });
  }
}

module.exports = SummaryReporter;
