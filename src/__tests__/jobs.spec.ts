/**
 * The jobs model: fetches when the panel shows the jobs, polls only while a
 * job runs, keeps the server's error, and refreshes after a submit or a stop.
 */
import { IJob, IJobs, IJobsApi, jobRunning, JobsModel } from '../jobs';
import { SmCostError } from '../request';
import { IPrice } from '../tokens';

const price: IPrice = {
  per_hour: 0.23,
  currency: 'USD',
  source: 'bundled',
  as_of: '2026-09-24',
  detail: '',
  fix: null,
  region: 'us-east-1',
  component: 'Training',
  instance_type: 'ml.m5.xlarge',
  parts: null
};

function job(state: string, name = 'smcost-train-1'): IJob {
  return {
    name,
    path: 'train.ipynb',
    kind: 'notebook',
    started_here: true,
    instance_type: 'ml.m5.xlarge',
    instance_count: 1,
    spot: true,
    state,
    secondary_status: null,
    failure_reason: null,
    started_at: '2026-12-03T10:00:00Z',
    elapsed_s: 60,
    ended_at: null,
    cost_before: {
      price,
      instance_count: 1,
      max_runtime_s: 3600,
      worst_case: 0.23,
      currency: 'USD' as const,
      spot: true,
      spot_up_to: 0.9
    },
    cost_after: {
      billable_s: null,
      training_s: null,
      amount: null,
      currency: 'USD' as const,
      price,
      spot_saving: null,
      saved: null
    },
    logs: { group: '/aws/sagemaker/TrainingJobs', stream_prefix: `${name}/` },
    outputs: null
  };
}

const SPEND = {
  currency: 'USD' as const,
  days: [],
  month_to_date: 0,
  unknown: 0,
  running: 0
};

class Server {
  answer: IJobs | Error = {
    available: true,
    unavailable_reason: null,
    jobs: [],
    spend: SPEND,
    space_jobs: null
  };
  lists = 0;
  api: IJobsApi = {
    list: jest.fn(async () => {
      this.lists++;
      if (this.answer instanceof Error) {
        throw this.answer;
      }
      return this.answer;
    }),
    submit: jest.fn(async () => job('InProgress')),
    estimate: jest.fn(),
    types: jest.fn(),
    stop: jest.fn(async () => job('Stopping'))
  };
}

describe('JobsModel', () => {
  it('fetches when shown and says whether jobs are available', async () => {
    const server = new Server();
    server.answer = {
      available: false,
      unavailable_reason: 'Not on SageMaker',
      jobs: [],
      spend: SPEND,
      space_jobs: null
    };
    const model = new JobsModel({ api: server.api, isHidden: () => false });
    expect(model.available).toBeNull();
    model.show(true);
    await model.refresh();
    expect(model.available).toBe(false);
    expect(model.unavailableReason).toBe('Not on SageMaker');
    model.dispose();
  });

  it('keeps the error and refreshes after submit and stop', async () => {
    const server = new Server();
    const model = new JobsModel({ api: server.api, isHidden: () => false });
    server.answer = new SmCostError('AWS denied', 502, 'aws_access_denied');
    await model.refresh();
    expect(model.error?.code).toBe('aws_access_denied');
    server.answer = {
      available: true,
      unavailable_reason: null,
      jobs: [job('InProgress')],
      spend: { ...SPEND, running: 1 },
      space_jobs: null
    };
    const before = server.lists;
    await model.submit({
      path: 'train.ipynb',
      instance_type: 'ml.m5.xlarge',
      instance_count: 1,
      spot: true,
      max_runtime_s: 3600
    });
    expect(server.lists).toBe(before + 1);
    expect(model.error).toBeNull();
    expect(model.jobs.map(j => j.state)).toEqual(['InProgress']);
    expect(model.spend?.running).toBe(1);
    await model.stop('smcost-train-1');
    expect(server.api.stop).toHaveBeenCalledWith('smcost-train-1');
    expect(server.lists).toBe(before + 2);
    model.dispose();
  });

  it('knows which states are over', () => {
    expect(jobRunning(job('InProgress'))).toBe(true);
    expect(jobRunning(job('Stopping'))).toBe(true);
    for (const state of ['Completed', 'Failed', 'Stopped', 'Unknown']) {
      expect(jobRunning(job(state))).toBe(false);
    }
  });
});
