/**
 * Jest's testResultsProcessor: the `*.deduped` audit of the integration project's global teardown
 * (global-teardown.ts) as one more test result, passed or failed, so that a duplicate or an audit that could not
 * run fails the run (jest's exit code, the --json counts .ci/run adds up) as a failed test does. A throw in the
 * teardown would instead lose the whole run's report. Runs without the integration project: results unchanged.
 * Plain JavaScript: jest loads this file without its transform.
 */
const TITLE = 'every *.deduped topic holds each eventId once, read_committed, at the end of the run';

module.exports = function auditResults(results) {
  const verdict = globalThis.__dedupedAudit;
  if (verdict === undefined) return results;
  const failure = verdict.error
    ? `the audit could not run: ${verdict.error}`
    : verdict.audit.duplicates > 0
      ? `${verdict.audit.duplicates} duplicate(s): ${verdict.audit.examples.join(', ')}`
      : undefined;
  const failed = failure !== undefined;
  const now = Date.now();
  results.testResults.push({
    testFilePath: require('node:path').join(__dirname, 'global-teardown.ts'),
    displayName: { name: 'integration', color: 'white' },
    numFailingTests: failed ? 1 : 0,
    numPassingTests: failed ? 0 : 1,
    numPendingTests: 0,
    numTodoTests: 0,
    failureMessage: failure ?? null,
    leaks: false,
    openHandles: [],
    perfStats: {
      start: now,
      end: now,
      runtime: 0,
      slow: false,
      loadTestEnvironmentStart: now,
      loadTestEnvironmentEnd: now,
      setupAfterEnvStart: now,
      setupFilesStart: now,
      setupFilesEnd: now,
    },
    skipped: false,
    snapshot: {
      added: 0,
      fileDeleted: false,
      matched: 0,
      unchecked: 0,
      uncheckedKeys: [],
      unmatched: 0,
      updated: 0,
    },
    testResults: [
      {
        ancestorTitles: ['*.deduped audit'],
        fullName: `*.deduped audit ${TITLE}`,
        title: TITLE,
        status: failed ? 'failed' : 'passed',
        failureMessages: failed ? [failure] : [],
        failureDetails: [],
        duration: 0,
        numPassingAsserts: 0,
        location: null,
      },
    ],
  });
  results.numTotalTests += 1;
  results.numTotalTestSuites += 1;
  if (failed) {
    results.numFailedTests += 1;
    results.numFailedTestSuites += 1;
    results.success = false;
    process.stderr.write(`\n*.deduped audit FAILED: ${failure}\n`);
  } else {
    results.numPassedTests += 1;
    results.numPassedTestSuites += 1;
  }
  return results;
};
