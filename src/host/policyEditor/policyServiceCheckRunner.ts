// The service's checks of the policy being edited: IAM Access Analyzer's findings and the
// caller's identity (for the lockout check), run after a quiet moment following each edit and
// reused by the save flow.
import * as vscode from 'vscode';
import type { Connection } from '../../core/aws/connection';
import type { PolicyServiceChecks } from '../../core/analyzer/policyServiceChecks';
import { policyValueOf } from '../../core/policy/policyDiff';
import { placeServiceFindings } from '../../core/policy/serviceFindings';
import type { ServiceChecksMessage } from '../../shared/policyProtocol';
import type { Services } from '../services';

/** Quiet time after an edit before the policy is sent to IAM Access Analyzer. */
const CHECK_DELAY_MS = 700;

const ANALYZER_OFF = 'sending policies to it is turned off in your user settings (kmsWorkbench.policyEditor.accessAnalyzer).';

/** Whether the policy may be sent to Access Analyzer: the user's setting only (a workspace's value is not read). */
function accessAnalyzerAllowed(): boolean {
  return vscode.workspace.getConfiguration('kmsWorkbench').inspect<boolean>('policyEditor.accessAnalyzer')?.globalValue !== false;
}

/** What the checks need of their editor session. */
export interface ServiceChecksHost {
  readonly services: Services;
  connection(): Connection;
  label(): string;
  disposed(): boolean;
  currentText(): string;
  post(message: ServiceChecksMessage): void;
}

/** The checks of one key policy editor. */
export class PolicyServiceCheckRunner {
  /** The service's checks of the latest text (posted to the webview as they change). */
  checks?: ServiceChecksMessage;
  private checking?: { text: string; done: Promise<ServiceChecksMessage>; abort: AbortController };
  private checkTimer?: ReturnType<typeof setTimeout>;
  /** The caller's ARN, or why it is not known; asked once per editor (again at save when it failed). */
  private caller?: Promise<ServiceChecksMessage['caller']>;

  constructor(
    private readonly host: ServiceChecksHost,
    private readonly serviceChecker?: PolicyServiceChecks,
  ) {}

  /** Checks the text again after a quiet moment (an edit cancels the check of the text before it). */
  schedule(delayMs = CHECK_DELAY_MS): void {
    if (this.host.disposed()) return;
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checkTimer = setTimeout(() => {
      this.checkTimer = undefined;
      void this.checksFor(this.host.currentText());
    }, delayMs);
  }

  /** Forgets the checks made and makes them again now (e.g. the Access Analyzer setting changed). */
  recheck(): void {
    this.checks = undefined;
    this.checking?.abort.abort();
    this.checking = undefined;
    this.schedule(0);
  }

  /** The finished checks of `text`: the ones made already, the ones under way, or new ones. */
  checksFor(text: string): Promise<ServiceChecksMessage> {
    if (this.checks?.text === text && this.checks.analyzer.state !== 'checking' && this.checks.caller.state !== 'checking')
      return Promise.resolve(this.checks);
    if (this.checking?.text === text) return this.checking.done;
    this.checking?.abort.abort();
    const abort = new AbortController();
    const done = this.runChecks(text, abort.signal).finally(() => {
      if (this.checking?.abort === abort) this.checking = undefined;
    });
    this.checking = { text, done, abort };
    return done;
  }

  private async runChecks(text: string, signal: AbortSignal): Promise<ServiceChecksMessage> {
    const checker = this.serviceChecker;
    const publish = (m: ServiceChecksMessage): ServiceChecksMessage => {
      if (!signal.aborted) {
        this.checks = m;
        this.host.post(m);
      }
      return m;
    };
    if (!checker) {
      const reason = 'the extension was started without the service checks.';
      return publish({ type: 'serviceChecks', text, analyzer: { state: 'unavailable', reason }, caller: { state: 'unavailable', reason } });
    }
    const connection = this.host.connection();
    this.caller ??= checker.callerArn(connection).then(
      (arn) => ({ state: 'done', arn }) as const,
      (error: unknown) => {
        const reason = error instanceof Error ? error.message : String(error);
        this.host.services.log.info(
          `Key policy editor (${this.host.label()}): sts:GetCallerIdentity did not answer (${reason}); the lockout check assumes the account.`,
        );
        return { state: 'unavailable', reason } as const;
      },
    );
    const syntaxOk = policyValueOf(text) !== undefined;
    const analyzing: Promise<ServiceChecksMessage['analyzer']> = !accessAnalyzerAllowed()
      ? Promise.resolve({ state: 'unavailable', reason: ANALYZER_OFF })
      : !syntaxOk
        ? Promise.resolve({ state: 'unavailable', reason: 'the policy is not valid JSON, so it was not sent.' })
        : checker.validateKeyPolicy(connection, text, signal).then(
            (raw) => ({ state: 'done', findings: placeServiceFindings(raw, text) }) as const,
            (error: unknown) => ({ state: 'unavailable', reason: error instanceof Error ? error.message : String(error) }) as const,
          );
    publish({
      type: 'serviceChecks',
      text,
      analyzer: { state: 'checking' },
      caller: this.checks?.caller.state === 'done' ? this.checks.caller : { state: 'checking' },
    });
    const [analyzer, caller] = await Promise.all([analyzing, this.caller]);
    return publish({ type: 'serviceChecks', text, analyzer, caller });
  }

  /** The caller's identity as asked (undefined before the first check, or once forgotten). */
  get callerAnswer(): Promise<ServiceChecksMessage['caller']> | undefined {
    return this.caller;
  }

  /** Before a save, when the caller's identity could not be asked: asks it again (and makes the checks again). */
  forgetCaller(): void {
    this.caller = undefined;
    this.checks = undefined;
  }

  dispose(): void {
    if (this.checkTimer) clearTimeout(this.checkTimer);
    this.checking?.abort.abort();
  }
}
