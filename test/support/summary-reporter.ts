import { appendFileSync } from 'node:fs';
import Mocha from 'mocha';

/**
 * Mocha's spec reporter plus one line of counts ("<passes> <failures> <pending>") appended to the file named
 * by KYC_TEST_SUMMARY, so `./kyc test` can print one total over its unit and integration runs.
 */
class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const file = process.env.KYC_TEST_SUMMARY;
      const stats = runner.stats;
      if (file !== undefined && file !== '' && stats !== undefined) {
        appendFileSync(file, `${stats.passes} ${stats.failures} ${stats.pending}\n`);
      }
    });
  }
}

export = SummaryReporter;
