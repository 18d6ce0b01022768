/**
 * The jobs model (issue 17): the SageMaker training jobs started from this
 * server (GET smcost/jobs), polled while one runs and the panel shows them;
 * starting one (POST smcost/jobs), its cost before (POST smcost/jobs/estimate),
 * the types with their Training price (GET smcost/jobs/types) and stopping one
 * (DELETE smcost/jobs/{name}). Its own REST calls, behind an interface tests
 * can replace.
 */
import { VDomModel } from '@jupyterlab/ui-components';
import { Poll } from '@lumino/polling';

import type { components } from './api';
import { asSmCostError, requestAPI, SmCostError } from './request';
import type { IMessage } from './tokens';
import { pageHidden } from './shownPoll';

type Schemas = components['schemas'];
export type IJob = Schemas['Job'];
export type IJobs = Schemas['Jobs'];
export type IJobRequest = Schemas['JobRequest'];
export type IJobCostBefore = Schemas['JobCostBefore'];
export type IJobTypes = Schemas['JobTypes'];
export type IJobSpend = Schemas['JobSpend'];

/** Seconds between GET smcost/jobs while a job runs and the panel is shown. */
export const JOBS_INTERVAL_S = 15;

/** The states after which SageMaker changes nothing more. */
export const ENDED_STATES = ['Completed', 'Failed', 'Stopped', 'Unknown'];

export function jobRunning(job: IJob): boolean {
  return !ENDED_STATES.includes(job.state);
}

/** The jobs' REST calls (injectable for tests). */
export interface IJobsApi {
  list(): Promise<IJobs>;
  submit(request: IJobRequest): Promise<IJob>;
  estimate(request: IJobRequest): Promise<IJobCostBefore>;
  types(): Promise<IJobTypes>;
  stop(name: string): Promise<IJob>;
}

const post = (body: unknown): RequestInit => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json' }
});

export const jobsRestApi: IJobsApi = {
  list: () => requestAPI<IJobs>('jobs'),
  submit: request => requestAPI<IJob>('jobs', post(request)),
  estimate: request =>
    requestAPI<IJobCostBefore>('jobs/estimate', post(request)),
  types: () => requestAPI<IJobTypes>('jobs/types'),
  stop: name =>
    requestAPI<IJob>(`jobs/${encodeURIComponent(name)}`, { method: 'DELETE' })
};

export namespace JobsModel {
  export interface IOptions {
    api?: IJobsApi;
    isHidden?: () => boolean;
  }
}

export class JobsModel extends VDomModel {
  constructor(options: JobsModel.IOptions = {}) {
    super();
    this.api = options.api ?? jobsRestApi;
    const isHidden = options.isHidden ?? pageHidden;
    this._poll = new Poll({
      auto: false,
      factory: () => this._fetch(),
      frequency: {
        interval: JOBS_INTERVAL_S * 1000,
        backoff: true,
        max: 120 * 1000
      },
      name: 'jupyterlab-smcost:jobs',
      standby: () => isHidden() || !this._shown
    });
  }

  readonly api: IJobsApi;

  /** The jobs, newest first (empty before the first answer). */
  get jobs(): IJob[] {
    return this._jobs?.jobs ?? [];
  }
  /** Whether jobs can start here (null: not known yet). */
  get available(): boolean | null {
    return this._jobs ? this._jobs.available : null;
  }
  /** How this Studio space's other jobs were listed (null: not a space). */
  get spaceJobs(): IJobs['space_jobs'] {
    return this._jobs?.space_jobs ?? null;
  }
  /** What the jobs cost, per day they ended (null before the first answer). */
  get spend(): IJobSpend | null {
    return this._jobs?.spend ?? null;
  }
  get unavailableReason(): string | null {
    return this._jobs?.unavailable_reason ?? null;
  }
  /** `unavailableReason` with its code, to say it translated (older servers: none). */
  get unavailableMessage(): IMessage | null {
    return this._jobs?.unavailable_message ?? null;
  }
  get error(): SmCostError | null {
    return this._error;
  }

  /** The panel shows the jobs (or not): fetch now, and poll while one runs. */
  show(shown: boolean): void {
    this._shown = shown;
    if (shown) {
      void this.refresh();
    }
  }

  /** GET the jobs now. */
  async refresh(): Promise<void> {
    try {
      await this._fetch();
    } catch {
      // kept in `error`
    }
  }

  /** POST a job; the list is fetched again. Rejects with the server's error. */
  async submit(request: IJobRequest): Promise<IJob> {
    const job = await this.api.submit(request);
    await this.refresh();
    return job;
  }

  async stop(name: string): Promise<void> {
    try {
      await this.api.stop(name);
      this._error = null;
    } catch (error) {
      this._error = asSmCostError(error);
    }
    await this.refresh();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._poll.dispose();
    super.dispose();
  }

  private async _fetch(): Promise<void> {
    try {
      this._jobs = await this.api.list();
      this._error = null;
    } catch (error) {
      this._error = asSmCostError(error);
      this.stateChanged.emit();
      throw this._error;
    }
    this.stateChanged.emit();
    if (this.jobs.some(jobRunning)) {
      void this._poll.start();
    } else {
      void this._poll.stop();
    }
  }

  private _poll: Poll;
  private _jobs: IJobs | null = null;
  private _error: SmCostError | null = null;
  private _shown = false;
}
