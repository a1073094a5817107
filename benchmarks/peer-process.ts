// A peer process driven over stdin/stdout, one JSON object a line each way, so that the suite
// can alternate peers round by round (A B C A B C ...) and each peer's memory is its own.
// stderr is kept (its tail names the reason when a peer fails) and passed through on --verbose.
import { spawn, type ChildProcess } from 'child_process';
import * as readline from 'readline';

export class PeerProcess {
  readonly child: ChildProcess;
  private readonly lines: AsyncIterableIterator<string>;
  private stderrTail = '';
  private exited: Promise<number | null>;

  constructor(readonly name: string, command: string, args: string[], verbose: boolean, env: NodeJS.ProcessEnv = process.env) {
    this.child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'], env });
    this.child.stderr!.on('data', (chunk: Buffer) => {
      if (verbose) process.stderr.write(chunk.toString());
      this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000);
    });
    this.child.stdin!.on('error', () => undefined); // a peer that died: call() reports it
    this.lines = readline.createInterface({ input: this.child.stdout! })[Symbol.asyncIterator]();
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code) => resolve(code));
      this.child.once('error', () => resolve(-1));
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Sends `msg`, returns the reply; a reply with `error` or a peer that exits becomes an Error. */
  async call<T>(msg: Record<string, unknown>): Promise<T> {
    this.child.stdin!.write(`${JSON.stringify(msg)}\n`);
    for (;;) {
      const next = await this.lines.next();
      if (next.done) {
        const code = await this.exited;
        throw new Error(`${this.name} exited (code ${code}) during ${String(msg.cmd)}: ${this.lastError()}`);
      }
      const line = next.value.trim();
      if (!line.startsWith('{')) continue; // a stray print of a library
      const reply = JSON.parse(line) as T & { error?: string };
      if (reply.error !== undefined) throw new Error(reply.error);
      return reply;
    }
  }

  /** The last meaningful lines of stderr (for a failure's reason). */
  lastError(): string {
    const lines = this.stderrTail.trim().split('\n').filter((l) => l.trim() && !/warn/i.test(l));
    return lines.slice(-3).join(' | ') || 'no message';
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      this.child.stdin!.end(`${JSON.stringify({ cmd: 'quit' })}\n`);
      const timer = setTimeout(() => this.child.kill('SIGKILL'), 10000);
      await this.exited;
      clearTimeout(timer);
    }
  }
}
