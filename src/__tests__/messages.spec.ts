import { ITranslator, TranslationBundle } from '@jupyterlab/translation';

import { Format } from '../format';
import { serverErrorText, idleReasons, messageText } from '../messages';
import { IMessage } from '../tokens';
import { makeStatus } from './fixtures';

const msg = (
  code: IMessage['code'],
  text: string,
  params: IMessage['params'] = {}
): IMessage => ({ code, text, params });

/** A translator whose catalogue marks every string it translates. */
function markingTranslator(): ITranslator {
  const sub = (s: string, args: unknown[]) =>
    args.reduce<string>((t, a, i) => t.replace(`%${i + 1}`, String(a)), s);
  const bundle = {
    __: (s: string, ...args: unknown[]) => `«${sub(s, args)}»`,
    _n: (s: string, p: string, n: number, ...args: unknown[]) =>
      `«${sub(n === 1 ? s : p, [n, ...args])}»`,
    _p: (_c: string, s: string, ...args: unknown[]) => `«${sub(s, args)}»`
  } as unknown as TranslationBundle;
  return {
    languageCode: 'en',
    load: () => bundle
  } as unknown as ITranslator;
}

describe('server messages', () => {
  const fmt = new Format(undefined, 'en');

  it('renders a code with its params', () => {
    expect(
      messageText(
        fmt,
        msg('busy.kernel', 'kernel busy: a.ipynb', { name: 'a.ipynb' })
      )
    ).toBe('kernel busy: a.ipynb');
    expect(
      messageText(
        fmt,
        msg('busy.terminal', 'x', { name: '1', command: 'python train.py' })
      )
    ).toBe('terminal 1 running: python train.py');
    expect(messageText(fmt, msg('idle.quiet', 'x', { seconds: 120 }))).toBe(
      'no activity for 2m'
    );
  });

  it('goes through the translator by code, not the server text', () => {
    const t = new Format(markingTranslator(), 'en');
    expect(
      messageText(
        t,
        msg('idle.last_activity', 'last activity: kernel', { source: 'kernel' })
      )
    ).toBe('«last activity: «kernel»»');
    expect(
      messageText(
        t,
        msg('rec.price_unknown', 'server words', { type: 'ml.m5.large' })
      )
    ).toBe(
      '«the price of ml.m5.large is unknown: cannot tell what is cheaper»'
    );
  });

  it('falls back to the English text for a code it does not know', () => {
    const unknown = {
      code: 'future.code',
      text: 'as the server said',
      params: {}
    };
    expect(messageText(fmt, unknown as unknown as IMessage)).toBe(
      'as the server said'
    );
    expect(messageText(fmt, msg('text', 'plain words'))).toBe('plain words');
  });

  it('uses the reasons as sent by a server without messages', () => {
    const idle = makeStatus().idle;
    expect(idleReasons(fmt, { ...idle, messages: undefined })).toEqual(
      idle.reasons
    );
    expect(
      idleReasons(fmt, {
        ...idle,
        messages: [msg('idle.off', 'idle shutdown is off')]
      })
    ).toEqual(['idle shutdown is off']);
  });

  it('renders background work and recommendations from their figures', () => {
    expect(
      messageText(
        fmt,
        msg('busy.background', 'x', {
          command: 'python3 train.py',
          kernel: 0,
          pid: 812,
          others: 2,
          cpus: 0.97,
          seconds: 840
        })
      )
    ).toBe(
      'background work: python3 train.py (pid 812) and 2 other processes, 97% of a CPU, for 14m'
    );
    expect(
      messageText(
        fmt,
        msg('busy.background_gpu_starting', 'x', {
          gpu: 0,
          load: 0.95,
          seconds: 30,
          users: ''
        })
      )
    ).toBe('background work starting: GPU 0 at 95%, for 30s');
    const text = messageText(
      fmt,
      msg('rec.over_provisioned', 'x', {
        current: 'ml.m5.4xlarge',
        type: 'ml.m5.xlarge',
        vcpu: 4,
        memory_gib: 16,
        cpu_p95: 0.09,
        cpu_count: 16,
        mem_p95_gib: 6,
        mem_total_gib: 64,
        burstable: 0
      })
    );
    expect(text).toContain('ml.m5.4xlarge is larger than needed: CPU p95 9%');
    expect(text).toContain('ml.m5.xlarge (4 vCPUs, 16 GiB)');
  });

  it('renders the GPU rules and the offload rule from their figures', () => {
    const use = {
      cpu_p95: 0.05,
      cpu_count: 48,
      mem_p95_gib: 16,
      mem_total_gib: 192,
      gpus_needed: 1,
      gpu_count: 4,
      gpu_model: 'NVIDIA A10G',
      gpus_in_use_p95: 1,
      peak_gpu_memory_gib: 9,
      gpu_memory_gib: 24
    };
    const fewer = messageText(
      fmt,
      msg('rec.fewer_gpus', 'x', {
        ...use,
        current: 'ml.g5.12xlarge',
        type: 'ml.g5.2xlarge',
        vcpu: 8,
        memory_gib: 32,
        new_gpu_count: 1,
        new_gpu_memory_gib: 24
      })
    );
    expect(fewer).toContain(
      'ml.g5.12xlarge: 1 of its 4 NVIDIA A10G GPUs in use (p95 1.0), the fullest holding at most 9 GiB of 24 GiB'
    );
    expect(fewer).toContain(
      'ml.g5.2xlarge has 1 NVIDIA A10G (24 GiB each) and 8 vCPUs, 32 GiB: enough with 30% headroom'
    );
    const smaller = messageText(
      fmt,
      msg('rec.smaller_gpu', 'x', {
        ...use,
        current: 'ml.p4d.24xlarge',
        type: 'ml.g6.2xlarge',
        vcpu: 8,
        memory_gib: 32,
        gpu_p95: 0.2,
        new_gpu_count: 1,
        new_gpu_model: 'NVIDIA L4',
        new_gpu_memory_gib: 24
      })
    );
    expect(smaller).toContain('the busiest at 20% (p95)');
    expect(smaller).toContain('ml.g6.2xlarge has 1 NVIDIA L4 (24 GiB each)');
    const offload = {
      command: 'python3 train.py (pid 812)',
      current: 'ml.g5.12xlarge',
      seconds: 7800,
      spent: 15.36,
      per_hour: 7.09,
      currency: 'USD',
      spot: 0.9
    };
    expect(messageText(fmt, msg('rec.offload', 'x', offload))).toBe(
      'python3 train.py (pid 812) kept ml.g5.12xlarge busy for 2h 10m ($15.36 at $7.09/h); as a SageMaker job on ml.g5.12xlarge it bills the same hours on demand, up to 90% less on Spot'
    );
    expect(
      messageText(
        fmt,
        msg('rec.offload', 'x', {
          ...offload,
          training_per_hour: 7.09,
          target: 'ml.t3.medium',
          target_per_hour: 0.05
        })
      )
    ).toContain(
      'on demand ($7.09/h Training), up to 90% less on Spot, and this notebook could run on ml.t3.medium ($0.05/h) meanwhile'
    );
  });

  it('renders the jobs refusals and a PassRole denial by code', () => {
    expect(serverErrorText(fmt, 'job_ended', { name: 'smcost-a-1' })).toBe(
      'job smcost-a-1 has already ended'
    );
    expect(serverErrorText(fmt, 'path_missing', {})).toBeNull();
    expect(serverErrorText(fmt, 'jobs_unavailable', { where: 'local' })).toBe(
      messageText(fmt, msg('jobs.local', 'x'))
    );
    expect(serverErrorText(fmt, 'jobs_unavailable', {})).toBeNull();
    expect(
      serverErrorText(fmt, 'aws_pass_role', {
        operation: 'CreateTrainingJob',
        action: 'start the training job',
        detail: 'not authorized to perform: iam:PassRole'
      })
    ).toContain(
      "AWS denied CreateTrainingJob while trying to start the training job: this server's role may not pass the execution role"
    );
    expect(
      serverErrorText(fmt, 'aws_access_denied', {
        name: 'app-a',
        permission: 'sagemaker:DeleteApp'
      })
    ).toBe('the role may not stop app-a: it needs sagemaker:DeleteApp');
  });

  it('renders AWS errors by code, and leaves other codes to the message', () => {
    expect(
      serverErrorText(fmt, 'aws_access_denied', {
        operation: 'DescribeSpace',
        action: 'describe the space',
        detail: 'not allowed'
      })
    ).toBe(
      'AWS denied DescribeSpace while trying to describe the space: not allowed. The role needs permission for this action (see the IAM page of the documentation).'
    );
    expect(serverErrorText(fmt, 'invalid_input', {})).toBeNull();
    // an older server's body, without params: its own message is shown
    expect(serverErrorText(fmt, 'instance_type_not_allowed', {})).toBeNull();
    expect(serverErrorText(fmt, 'aws_throttled', {})).toBeNull();
    expect(
      serverErrorText(fmt, 'instance_type_not_allowed', {
        type: 'ml.p4d.24xlarge',
        allowed: 'ml.t3.medium, ml.m5.large'
      })
    ).toBe(
      'ml.p4d.24xlarge is not allowed here; allowed: ml.t3.medium, ml.m5.large'
    );
    expect(
      fmt.error({
        code: 'aws_throttled',
        params: { operation: 'GetProducts', action: '' }
      })
    ).toBe('AWS throttled GetProducts; it will be retried later.');
  });
});
