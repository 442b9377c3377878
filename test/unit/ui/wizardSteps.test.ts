import * as assert from 'node:assert/strict';
import { WizardSteps } from '../../../src/host/ui/wizardSteps';

const show = (s: { step: number; totalSteps: number }): string => `${s.step} of ${s.totalSteps}`;

describe('WizardSteps: the step counter of a multi-step prompt', () => {
  it('counts every prompt shown once, and the last reads "n of n" when a prompt is skipped', () => {
    const steps = new WizardSteps(7);
    const shown = [show(steps.next())];
    steps.skip(); // a key type with a single spec
    for (let i = 0; i < 5; i++) shown.push(show(steps.next()));
    assert.deepEqual(shown, ['1 of 7', '2 of 6', '3 of 6', '4 of 6', '5 of 6', '6 of 6']);
  });

  it('grows the total when an answer adds prompts, never repeating or skipping a number', () => {
    const steps = new WizardSteps(3);
    const shown = [show(steps.next()), show(steps.next()), show(steps.next())];
    steps.add(2);
    shown.push(show(steps.next()), show(steps.next()));
    assert.deepEqual(shown, ['1 of 3', '2 of 3', '3 of 3', '4 of 5', '5 of 5']);
  });

  it('never plans fewer than zero further steps', () => {
    const steps = new WizardSteps(1);
    steps.skip(3);
    assert.equal(show(steps.next()), '1 of 1');
  });
});
