/**
 * "Run as SageMaker job…" from the file browser's context menu (.ipynb and .py),
 * and the Jobs section's jobs of this space not started from here (listed
 * only: no Stop, no outputs).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { MessageLoop } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';
import * as React from 'react';

import { Format } from '../format';
import { IJob, IJobs, JobsModel } from '../jobs';
import {
  RUN_AS_JOB,
  RUNNABLE_ITEMS,
  registerJobCommands
} from '../jobsCommands';
import { JobsSection } from '../jobsView';

const shown: string[] = [];
jest.mock('../jobsView', () => {
  const actual = jest.requireActual('../jobsView');
  return {
    ...actual,
    // the dialog's body: which file it was opened for
    JobDialogBody: jest.fn().mockImplementation((path: string) => {
      shown.push(path);
      return new Widget();
    })
  };
});
jest.mock('@jupyterlab/apputils', () => ({
  ...jest.requireActual('@jupyterlab/apputils'),
  showDialog: jest.fn(async () => ({ button: { accept: false }, value: null }))
}));

const price = {
  per_hour: 1.408,
  currency: 'USD' as const,
  source: 'bundled' as const,
  as_of: '2026-09-24',
  detail: '',
  fix: null,
  region: 'us-east-1',
  component: 'Training',
  instance_type: 'ml.g5.xlarge',
  parts: null
};

function job(name: string, startedHere: boolean): IJob {
  return {
    name,
    path: startedHere ? 'train.ipynb' : null,
    kind: startedHere ? 'notebook' : null,
    started_here: startedHere,
    instance_type: 'ml.g5.xlarge',
    instance_count: 1,
    spot: true,
    state: 'InProgress',
    secondary_status: 'Training',
    failure_reason: null,
    started_at: '2026-12-03T10:00:00Z',
    elapsed_s: 600,
    ended_at: null,
    cost_before: {
      price,
      instance_count: 1,
      max_runtime_s: 3600,
      worst_case: 1.408,
      currency: 'USD',
      spot: true,
      spot_up_to: 0.9
    },
    cost_after: {
      billable_s: null,
      training_s: null,
      amount: null,
      currency: 'USD',
      price,
      spot_saving: null,
      saved: null
    },
    logs: { group: '/aws/sagemaker/TrainingJobs', stream_prefix: `${name}/` },
    outputs: null
  };
}

function jobsAnswer(over: Partial<IJobs> = {}): IJobs {
  return {
    available: true,
    unavailable_reason: null,
    jobs: [],
    spend: {
      currency: 'USD',
      days: [],
      month_to_date: 0,
      unknown: 0,
      running: 0
    },
    space_jobs: null,
    ...over
  };
}

function model(answer: IJobs): JobsModel {
  return new JobsModel({
    api: {
      list: jest.fn(async () => answer),
      submit: jest.fn(),
      estimate: jest.fn(),
      types: jest.fn(async () => ({ types: [] })),
      stop: jest.fn()
    },
    isHidden: () => true
  });
}

describe('Run as SageMaker job… in the file browser', () => {
  function setup(selected: string) {
    const commands = new CommandRegistry();
    const menu: { command: string; selector: string; args?: any }[] = [];
    const app: any = {
      commands,
      contextMenu: { addItem: (item: any) => menu.push(item) },
      docRegistry: { addWidgetExtension: jest.fn() },
      shell: { currentWidget: null, activateById: jest.fn() }
    };
    const browser: any = {
      selectedItems: function* () {
        yield { path: selected };
      }
    };
    const jobs = model(jobsAnswer());
    registerJobCommands(
      app,
      jobs,
      new Format(),
      () => null,
      () => null,
      null,
      browser
    );
    return { commands, menu, jobs };
  }

  it('is on the context menu of notebooks and Python files only', () => {
    const { menu } = setup('work/train.ipynb');
    expect(menu.map(m => [m.command, m.selector])).toEqual([
      [RUN_AS_JOB, '.jp-DirListing-item[data-file-type="notebook"]'],
      [RUN_AS_JOB, '.jp-DirListing-item[data-file-type="python"]']
    ]);
    expect(RUNNABLE_ITEMS).toHaveLength(2);
  });

  it('runs the file selected in the browser', async () => {
    const { commands, menu, jobs } = setup('work/train.ipynb');
    const args = menu[0].args;
    expect(commands.isEnabled(RUN_AS_JOB, args)).toBe(true);
    expect(commands.label(RUN_AS_JOB, args)).toBe('Run as SageMaker job…');
    shown.length = 0;
    await commands.execute(RUN_AS_JOB, args);
    expect(jobs.api.types).toHaveBeenCalled();
    expect(shown).toEqual(['work/train.ipynb']);
  });

  it('is not enabled on another kind of file', () => {
    const { commands, menu } = setup('notes.txt');
    expect(commands.isEnabled(RUN_AS_JOB, menu[0].args)).toBe(false);
  });

  it('is not on the context menu without a file browser', () => {
    const menu: unknown[] = [];
    registerJobCommands(
      {
        commands: new CommandRegistry(),
        contextMenu: { addItem: (item: unknown) => menu.push(item) },
        docRegistry: { addWidgetExtension: jest.fn() },
        shell: { currentWidget: null }
      } as any,
      model(jobsAnswer()),
      new Format(),
      () => null,
      () => null,
      null,
      null
    );
    expect(menu).toEqual([]);
  });
});

describe('the Jobs section', () => {
  let widget: Widget | null = null;
  afterEach(() => {
    widget?.dispose();
    widget = null;
  });

  async function mount(answer: IJobs): Promise<HTMLElement> {
    const jobs = model(answer);
    await jobs.refresh();
    widget = ReactWidget.create(
      <JobsSection
        jobs={jobs}
        commands={new CommandRegistry()}
        fmt={new Format()}
      />
    );
    Widget.attach(widget, document.body);
    MessageLoop.sendMessage(widget, Widget.Msg.UpdateRequest);
    await new Promise(resolve => setTimeout(resolve, 50));
    return widget.node;
  }

  it('lists a job of this space not started here, without Stop', async () => {
    const node = await mount(
      jobsAnswer({
        jobs: [job('smcost-train-1', true), job('sdk-fit-2', false)],
        space_jobs: { listed: true, missing_permission: null, message: null }
      })
    );
    const items = Array.from(node.querySelectorAll('.jp-SmCost-job'));
    expect(items).toHaveLength(2);
    const [here, other] = items;
    expect(here.querySelector('.jp-SmCost-jobName')!.textContent).toBe(
      'train.ipynb'
    );
    expect(here.querySelector('.jp-SmCost-jobStop')).not.toBeNull();
    expect(here.querySelector('.jp-SmCost-jobElsewhere')).toBeNull();
    expect(other.querySelector('.jp-SmCost-jobName')!.textContent).toBe(
      'sdk-fit-2'
    );
    expect(other.querySelector('.jp-SmCost-jobStop')).toBeNull();
    expect(
      other.querySelector('.jp-SmCost-jobElsewhere')!.textContent
    ).toContain('not started from here');
  });

  it('names the permission when the space’s jobs cannot be listed', async () => {
    const node = await mount(
      jobsAnswer({
        space_jobs: {
          listed: false,
          missing_permission: 'sagemaker:ListTags',
          message: null
        }
      })
    );
    expect(node.querySelector('.jp-SmCost-spaceJobsDenied')!.textContent).toBe(
      'This space’s other jobs are not listed: the role needs sagemaker:ListTags.'
    );
  });
});
