/**
 * One supervised process of the local run, the way a kubelet runs a container: started with its env, considered
 * ready once it logs its "ready" line, restarted with a doubling backoff when it dies (reset after it stayed up a
 * while), and stopped on request with SIGTERM (it drains) and no restart.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';

export type Component = 'coordinator' | 'worker' | 'gateway';
export type ProcessState = 'starting' | 'ready' | 'backoff' | 'stopping' | 'stopped';

export interface RestartPolicy {
  /** First restart delay. @default 1000 */
  readonly initialBackoffMs: number;
  /** Cap of the doubling delay. @default 30000 */
  readonly maxBackoffMs: number;
  /** A process that ran this long before dying restarts after the initial delay again. @default 60000 */
  readonly resetAfterMs: number;
}

export interface ProcessSpec {
  /** worker-1, coordinator, gateway: the log prefix and the name in `pigrid local status`. */
  readonly name: string;
  readonly component: Component;
  /** `node <mainJs> <component>`. */
  readonly mainJs: string;
  /** The environment of the next start (evaluated at every start, so a pinned port applies to restarts). */
  readonly env: () => NodeJS.ProcessEnv;
  /** Where each output line goes, as shown. */
  readonly output: (line: string) => void;
  /** Before the supervisor's own lines about the process (`exited …`). */
  readonly prefix: string;
  /** How a line of the process's output (a JSON log line, or anything else it printed) is shown. */
  readonly render: (line: string) => string;
  readonly policy: RestartPolicy;
}

/** What `pigrid local status` shows of one process. */
export interface ProcessStatus {
  name: string;
  component: Component;
  state: ProcessState;
  pid: number | null;
  restarts: number;
  /** Fields of its ready line: grpc=…, url=…. */
  ready: Record<string, string>;
  /** When the current process started (ISO), null while none runs. */
  started_at: string | null;
  /** How the last process ended, e.g. "SIGKILL" or "exit 1". */
  last_exit: string | null;
  /** When it is restarted next (ISO), while in backoff. */
  restart_at: string | null;
}

/** Fields of a ready line (a JSON log line whose message is `<component> ready`), or undefined for any other line. */
export function readyFields(line: string): Record<string, string> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const obj = JSON.parse(line) as Record<string, unknown>;
    if (typeof obj.msg !== 'string' || !/ ready$/.test(obj.msg)) return undefined;
    return Object.fromEntries(
      Object.entries(obj)
        .filter(([, v]) => typeof v === 'string' || typeof v === 'number')
        .map(([k, v]) => [k, String(v)]),
    );
  } catch {
    return undefined;
  }
}

export class SupervisedProcess extends EventEmitter<{ ready: [Record<string, string>]; state: [ProcessState]; exit: [string] }> {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private backoffMs: number;
  private stateValue: ProcessState = 'stopped';
  private readyValue: Record<string, string> = {};
  private startedAt: number | undefined;
  private restartAt: number | undefined;
  private lastExit: string | null = null;
  private restartCount = 0;
  private wanted = false;

  constructor(readonly spec: ProcessSpec) {
    super();
    this.backoffMs = spec.policy.initialBackoffMs;
  }

  get state(): ProcessState {
    return this.stateValue;
  }
  get pid(): number | undefined {
    return this.child?.pid;
  }
  get restarts(): number {
    return this.restartCount;
  }
  get readyInfo(): Record<string, string> {
    return this.readyValue;
  }

  status(): ProcessStatus {
    return {
      name: this.spec.name,
      component: this.spec.component,
      state: this.stateValue,
      pid: this.child?.pid ?? null,
      restarts: this.restartCount,
      ready: { ...this.readyValue },
      started_at: this.startedAt ? new Date(this.startedAt).toISOString() : null,
      last_exit: this.lastExit,
      restart_at: this.stateValue === 'backoff' && this.restartAt ? new Date(this.restartAt).toISOString() : null,
    };
  }

  private setState(s: ProcessState): void {
    if (s === this.stateValue) return;
    this.stateValue = s;
    this.emit('state', s);
  }

  /** Starts the process; it is restarted whenever it dies until {@link stop}. */
  start(): void {
    this.wanted = true;
    this.launch();
  }

  private launch(): void {
    this.timer = undefined;
    if (!this.wanted) return;
    const { spec } = this;
    this.setState('starting');
    this.readyValue = {};
    this.startedAt = Date.now();
    const child = spawn(process.execPath, [spec.mainJs, spec.component], {
      env: spec.env(),
      stdio: ['ignore', 'pipe', 'pipe'],
      // Own process group: a terminal's Ctrl-C reaches only the runner, which stops the workers first.
      detached: true,
    });
    this.child = child;
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on('line', (line) => {
        spec.output(spec.render(line));
        if (this.child === child && this.stateValue === 'starting') {
          const fields = readyFields(line);
          if (fields) {
            this.readyValue = fields;
            this.setState('ready');
            this.emit('ready', fields);
          }
        }
      });
    }
    let ended = false;
    const onEnd = (how: string) => {
      if (ended) return;
      ended = true;
      this.onExit(child, how);
    };
    child.on('error', (err) => onEnd(`failed to start: ${err.message}`));
    child.on('exit', (code, signal) => onEnd(signal ?? `exit ${code}`));
  }

  private onExit(child: ChildProcess, how: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.lastExit = how;
    const ranMs = Date.now() - (this.startedAt ?? Date.now());
    this.startedAt = undefined;
    this.emit('exit', how);
    if (!this.wanted) {
      this.spec.output(`${this.spec.prefix}exited ${how}`);
      this.setState('stopped');
      return;
    }
    if (ranMs >= this.spec.policy.resetAfterMs) this.backoffMs = this.spec.policy.initialBackoffMs;
    const delay = this.backoffMs;
    this.backoffMs = Math.min(this.backoffMs * 2, this.spec.policy.maxBackoffMs);
    this.restartCount += 1;
    this.restartAt = Date.now() + delay;
    this.spec.output(`${this.spec.prefix}exited ${how}; restarting in ${(delay / 1000).toFixed(1)} s (restart ${this.restartCount})`);
    this.setState('backoff');
    this.timer = setTimeout(() => this.launch(), delay);
  }

  /** Stops for good: SIGTERM (the component drains) and no restart; resolves once the process is gone. */
  stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.wanted = false;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const child = this.child;
    if (!child) {
      this.setState('stopped');
      return Promise.resolve();
    }
    this.setState('stopping');
    const gone = new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) resolve();
      else child.once('exit', () => resolve());
    });
    child.kill(signal);
    return gone;
  }

  /** Sends a signal to the running process without changing what the supervisor wants (SIGKILL = a crash). */
  signal(sig: NodeJS.Signals): void {
    this.child?.kill(sig);
  }
}
