/**
 * Group commit: requests that arrive while a statement is running wait for it and then
 * go together in the next one, so under load one Postgres commit serves many pages
 * instead of one each (commits are the shop's bottleneck). Used by the impression
 * ledger and the order-form token ledger.
 *
 * @module
 */

/** Runs one batch: returns one result per request, in order. */
export type BatchRunner<Request, Result> = (batch: readonly Request[]) => Promise<Result[]>;

/** Options for {@linkcode GroupCommit}. */
export interface GroupCommitOptions {
  /** Requests per statement at most; default 500. */
  maxBatch?: number;
  /** Statements running at once at most; default 2. */
  maxRunning?: number;
}

/** Batches concurrent requests into statements (see the module documentation). */
export class GroupCommit<Request, Result> {
  readonly #run: BatchRunner<Request, Result>;
  readonly #maxBatch: number;
  readonly #maxRunning: number;
  #waiting: {
    request: Request;
    resolve: (result: Result) => void;
    reject: (error: unknown) => void;
  }[] = [];
  #running = 0;

  /** `run` executes one batch; see {@linkcode GroupCommitOptions} for the defaults. */
  constructor(run: BatchRunner<Request, Result>, options: GroupCommitOptions = {}) {
    this.#run = run;
    this.#maxBatch = options.maxBatch ?? 500;
    this.#maxRunning = options.maxRunning ?? 2;
  }

  /** Queues `request` for the next batch; resolves to its result (rejects if the batch fails). */
  submit(request: Request): Promise<Result> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ request, resolve, reject });
      this.#pump();
    });
  }

  #pump(): void {
    while (this.#running < this.#maxRunning && this.#waiting.length > 0) {
      const batch = this.#waiting.splice(0, this.#maxBatch);
      this.#running++;
      // Called through then() so a runner that throws synchronously rejects the batch too.
      Promise.resolve().then(() => this.#run(batch.map((item) => item.request))).then(
        (results) => batch.forEach((item, i) => item.resolve(results[i])),
        (error) => batch.forEach((item) => item.reject(error)),
      ).finally(() => {
        this.#running--;
        this.#pump();
      });
    }
  }
}
