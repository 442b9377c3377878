/**
 * The "Step 3 of 7" of a multi-step prompt: every prompt shown is the next step, and the total is
 * the steps taken plus those still planned. Answers that add prompts (a console-style policy asks
 * for administrators and users) or drop one (a key type with a single spec) change the plan, so
 * the counter never skips or repeats a number and the last prompt reads "n of n".
 */
export class WizardSteps {
  private taken = 0;

  constructor(private planned: number) {}

  /** The step options of the next prompt. */
  next(): { step: number; totalSteps: number } {
    this.taken++;
    this.planned = Math.max(0, this.planned - 1);
    return { step: this.taken, totalSteps: this.taken + this.planned };
  }

  /** `count` more prompts will follow (an answer asked for them). */
  add(count = 1): void {
    this.planned += count;
  }

  /** A planned prompt is not needed after all. */
  skip(count = 1): void {
    this.planned = Math.max(0, this.planned - count);
  }
}
