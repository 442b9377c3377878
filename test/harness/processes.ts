// Child processes started by the harness run in process groups of their own (so a whole
// tree — code-server, its extension host, its file watcher — can be stopped at once).
// Groups still running when this process exits, is interrupted or crashes are killed.
import { type ChildProcess } from 'node:child_process';

const liveGroups = new Set<number>();
let handlersInstalled = false;

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

function onExit(): void {
  for (const pid of liveGroups) killGroup(pid, 'SIGKILL');
  liveGroups.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  onExit();
  // When the program has its own handler (the demo shuts down gracefully), leave exiting to it.
  if (process.listenerCount(signal) > 1) return;
  process.exit(signal === 'SIGINT' ? 130 : 143);
}

function installHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', onExit);
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('SIGHUP', onSignal);
}

function removeHandlers(): void {
  if (!handlersInstalled || liveGroups.size > 0) return;
  handlersInstalled = false;
  process.off('exit', onExit);
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);
  process.off('SIGHUP', onSignal);
}

/** Tracks a child spawned with `detached: true` so its group is killed with this process. */
export function trackProcessGroup(child: ChildProcess): void {
  const pid = child.pid;
  if (pid === undefined) return;
  installHandlers();
  liveGroups.add(pid);
  child.once('exit', () => {
    // The leader is gone; kill what it may have left behind in its group.
    killGroup(pid, 'SIGKILL');
    liveGroups.delete(pid);
    removeHandlers();
  });
}

/** Stops a tracked group: SIGTERM, then SIGKILL after `graceMs`. Resolves once the leader exited. */
export async function stopProcessGroup(child: ChildProcess, graceMs = 5000): Promise<void> {
  const pid = child.pid;
  if (pid === undefined) return;
  if (child.exitCode !== null || child.signalCode !== null) {
    killGroup(pid, 'SIGKILL');
    return;
  }
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  killGroup(pid, 'SIGTERM');
  const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
  killGroup(pid, 'SIGKILL');
  liveGroups.delete(pid);
  removeHandlers();
}
