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
    // Tests run again after a failure (mocha --retries, used by the e2e stage): named, with the
    // first failure, so a flaky test shows in the log even when its retry passes.
    const retried = new Set();
    const flaky = [];
    runner.on(Mocha.Runner.constants.EVENT_TEST_RETRY, (test, err) => {
      retried.add(test.fullTitle());
      console.log(`      ↻ retrying "${test.fullTitle()}" after: ${err && err.message ? err.message.split('\n')[0] : String(err)}`);
    });
    runner.on(Mocha.Runner.constants.EVENT_TEST_PASS, (test) => {
      if (retried.has(test.fullTitle())) flaky.push(test.fullTitle());
    });
    runner.once('end', () => {
      const file = process.env.KMS_TEST_SUMMARY_FILE;
      if (!file) return;
      const { passes, failures, pending, tests } = this.stats;
      writeFileSync(file, JSON.stringify({ passes, failures, pending, tests, flaky }));
    });
  }
}

module.exports = SummaryReporter;
