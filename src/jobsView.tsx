/**
 * The jobs' views (issue 17): the panel's Jobs section (each job's state,
 * cost, Spot saving, logs, Stop, its outputs folder) and the body of the
 * "Run as SageMaker job" dialog (type with its Training price, count, Spot,
 * maximum run time, and the cost before, asked of the server as they change).
 */
import { ReactWidget } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { Row, Section, useSignals } from './components';
import { Format } from './format';
import {
  IJobCostBefore,
  IJobRequest,
  IJobTypes,
  jobRunning,
  JobsModel
} from './jobs';
import { messageText } from './messages';
import { IPrice, IRecommendation } from './tokens';

function CostBefore(props: { cost: IJobCostBefore | null; fmt: Format }) {
  const { cost, fmt } = props;
  const trans = fmt.trans;
  if (!cost) {
    return <div className="jp-SmCost-detail">{trans.__('Pricing…')}</div>;
  }
  const price = cost.price;
  return (
    <div className="jp-SmCost-jobCost">
      <Row label={trans.__('Training price')}>
        <span className="jp-SmCost-jobPrice">
          {fmt.rate(price.per_hour, price.currency)}
        </span>{' '}
        <span
          className={`jp-SmCost-badge jp-SmCost-badge-${price.source}`}
          title={fmt.price(price)}
        >
          {fmt.sourceBadge(price.source)}
        </span>
      </Row>
      <Row label={trans.__('At most')}>
        <span className="jp-SmCost-jobWorst">
          {fmt.money(cost.worst_case, cost.currency)}
        </span>
      </Row>
      <div className="jp-SmCost-detail">
        {trans._n(
          '%2 on %1 instance for the whole maximum run time, on demand.',
          '%2 on %1 instances for the whole maximum run time, on demand.',
          cost.instance_count,
          fmt.duration(cost.max_runtime_s)
        )}
      </div>
      {cost.spot ? (
        <div className="jp-SmCost-detail jp-SmCost-jobSpotNote">
          {trans.__(
            'Spot: you pay only billable seconds, up to %1 less; the real saving is known when the job ends.',
            fmt.percent(cost.spot_up_to)
          )}
        </div>
      ) : null}
    </div>
  );
}

/** The dialog's body: `getValue()` is the request to POST. */
export class JobDialogBody extends ReactWidget {
  constructor(
    private _path: string,
    private _types: IJobTypes,
    private _estimate: (r: IJobRequest) => Promise<IJobCostBefore>,
    private _fmt: Format,
    private _notebookPrice: IPrice | null,
    private _smaller: IRecommendation | null = null
  ) {
    super();
    this.addClass('jp-SmCost-jobDialog');
    const first =
      _types.types.find(t => t.instance_type === 'ml.m5.xlarge') ??
      _types.types[0];
    this._request = {
      path: _path,
      instance_type: first?.instance_type ?? '',
      instance_count: 1,
      spot: true,
      max_runtime_s: 3600
    };
    void this._price();
  }

  getValue(): IJobRequest {
    return { ...this._request };
  }

  private _set(change: Partial<IJobRequest>): void {
    this._request = { ...this._request, ...change };
    this.update();
    void this._price();
  }

  private async _price(): Promise<void> {
    const asked = this._request;
    try {
      const cost = await this._estimate(asked);
      if (asked === this._request) {
        this._cost = cost;
        this._error = null;
      }
    } catch (e) {
      if (asked === this._request) {
        this._cost = null;
        this._error = this._fmt.error(e);
      }
    }
    this.update();
  }

  render(): JSX.Element {
    const fmt = this._fmt;
    const trans = fmt.trans;
    const r = this._request;
    const nb = this._notebookPrice;
    return (
      <div className="jp-SmCost-jobForm">
        <div className="jp-SmCost-detail">
          {trans.__(
            'Runs %1 as a SageMaker training job, as it is saved on disk.',
            this._path
          )}
        </div>
        <label className="jp-SmCost-field">
          {trans.__('Instance type')}
          <select
            className="jp-mod-styled jp-SmCost-jobType"
            value={r.instance_type}
            onChange={e => this._set({ instance_type: e.target.value })}
          >
            {this._types.types.map(t => (
              <option key={t.instance_type} value={t.instance_type}>
                {trans.__(
                  '%1 (%2)',
                  t.instance_type,
                  fmt.rate(t.price.per_hour, t.price.currency)
                )}
              </option>
            ))}
          </select>
        </label>
        <label className="jp-SmCost-field">
          {trans.__('Instances')}
          <input
            className="jp-mod-styled jp-SmCost-jobCount"
            type="number"
            min={1}
            max={20}
            value={r.instance_count}
            onChange={e =>
              this._set({
                instance_count: Math.max(1, Number(e.target.value) || 1)
              })
            }
          />
        </label>
        <label className="jp-SmCost-field">
          {trans.__('Maximum run time (minutes)')}
          <input
            className="jp-mod-styled jp-SmCost-jobMinutes"
            type="number"
            min={1}
            value={Math.round((r.max_runtime_s ?? 3600) / 60)}
            onChange={e =>
              this._set({
                max_runtime_s:
                  Math.max(1, Math.round(Number(e.target.value) || 1)) * 60
              })
            }
          />
        </label>
        <label className="jp-SmCost-field jp-SmCost-checkbox">
          <input
            className="jp-SmCost-jobSpot"
            type="checkbox"
            checked={!!r.spot}
            onChange={e => this._set({ spot: e.target.checked })}
          />
          {trans.__('Managed Spot training (checkpoints in SM_CHECKPOINT_DIR)')}
        </label>
        {this._error ? (
          <div
            className="jp-SmCost-message jp-SmCost-message-error"
            role="alert"
          >
            {this._error}
          </div>
        ) : (
          <CostBefore cost={this._cost} fmt={fmt} />
        )}
        {nb ? (
          <div className="jp-SmCost-detail jp-SmCost-jobNotebookPrice">
            {trans.__(
              'This notebook’s own instance costs %1 meanwhile; the job keeps running after it stops.',
              fmt.rate(nb.per_hour, nb.currency)
            )}
          </div>
        ) : null}
        {this._smaller ? (
          <div className="jp-SmCost-detail jp-SmCost-jobSmaller">
            {trans.__(
              'Measured use fits %1 (%2): this notebook could run on it meanwhile.',
              this._smaller.type,
              fmt.rate(
                this._smaller.price.per_hour,
                this._smaller.price.currency
              )
            )}
          </div>
        ) : null}
      </div>
    );
  }

  private _request: IJobRequest;
  private _cost: IJobCostBefore | null = null;
  private _error: string | null = null;
}

/** The panel's Jobs section (shown once the server says whether jobs run here). */
export const JobsSection = React.memo(
  (props: { jobs: JobsModel; commands: CommandRegistry; fmt: Format }) => {
    const { jobs, commands, fmt } = props;
    const trans = fmt.trans;
    useSignals(jobs.stateChanged);
    if (jobs.available === null && !jobs.error) {
      return null;
    }
    return (
      <Section title={trans.__('Jobs')} name="jobs">
        {jobs.error ? (
          <div
            className="jp-SmCost-message jp-SmCost-message-error"
            role="alert"
          >
            {fmt.error(jobs.error)}
          </div>
        ) : null}
        {jobs.available === false && jobs.unavailableReason ? (
          <div className="jp-SmCost-detail jp-SmCost-jobsUnavailable">
            {jobs.unavailableMessage
              ? messageText(fmt, jobs.unavailableMessage)
              : jobs.unavailableReason}
          </div>
        ) : null}
        {jobs.jobs.length === 0 ? (
          <div className="jp-SmCost-detail">
            {trans.__(
              'No job started from here yet: use “Run as SageMaker job…”.'
            )}
          </div>
        ) : (
          <div className="jp-SmCost-detail">
            {trans.__('Your jobs keep running after this space stops.')}
          </div>
        )}
        {jobs.spend && jobs.jobs.length ? (
          <Row label={trans.__('Jobs this month')}>
            <span className="jp-SmCost-jobSpend">
              {fmt.money(jobs.spend.month_to_date, jobs.spend.currency)}
            </span>
            {jobs.spend.unknown
              ? ` ${trans._n('(+%1 job of unknown cost)', '(+%1 jobs of unknown cost)', jobs.spend.unknown)}`
              : ''}
          </Row>
        ) : null}
        {jobs.spaceJobs?.missing_permission ? (
          <div className="jp-SmCost-detail jp-SmCost-spaceJobsDenied">
            {trans.__(
              'This space’s other jobs are not listed: the role needs %1.',
              jobs.spaceJobs.missing_permission
            )}
          </div>
        ) : jobs.spaceJobs?.message ? (
          <div className="jp-SmCost-detail jp-SmCost-spaceJobsDenied">
            {trans.__(
              'This space’s other jobs are not listed: %1',
              jobs.spaceJobs.message
            )}
          </div>
        ) : null}
        <ul className="jp-SmCost-jobList">
          {jobs.jobs.map(job => {
            const after = job.cost_after;
            const running = jobRunning(job);
            return (
              <li
                key={job.name}
                className="jp-SmCost-job"
                data-state={job.state}
              >
                <div className="jp-SmCost-jobName" title={job.name}>
                  {job.path ?? job.name}
                </div>
                {!job.started_here ? (
                  <div className="jp-SmCost-detail jp-SmCost-jobElsewhere">
                    {trans.__(
                      'A job of this space, not started from here: listed only (no Stop, no outputs downloaded).'
                    )}
                  </div>
                ) : null}
                <Row label={trans.__('State')}>
                  <span className="jp-SmCost-jobState">
                    {job.secondary_status && job.secondary_status !== job.state
                      ? trans.__('%1 (%2)', job.state, job.secondary_status)
                      : job.state}
                  </span>
                </Row>
                <Row label={trans.__('Type')}>
                  {trans._n(
                    '%2 ×%1',
                    '%2 ×%1',
                    job.instance_count,
                    job.instance_type
                  )}{' '}
                  {job.spot ? trans.__('(Spot)') : trans.__('(on demand)')}
                </Row>
                <Row label={trans.__('Elapsed')}>
                  {fmt.duration(job.elapsed_s)}
                </Row>
                <Row label={trans.__('Cost')}>
                  <span className="jp-SmCost-jobCostAfter">
                    {after.amount !== null
                      ? fmt.money(after.amount, after.currency)
                      : trans.__(
                          'at most %1',
                          fmt.money(
                            job.cost_before.worst_case,
                            job.cost_before.currency
                          )
                        )}
                  </span>{' '}
                  <span
                    className={`jp-SmCost-badge jp-SmCost-badge-${after.price.source}`}
                    title={fmt.price(after.price)}
                  >
                    {fmt.sourceBadge(after.price.source)}
                  </span>
                </Row>
                {after.spot_saving !== null ? (
                  <Row label={trans.__('Spot saving')}>
                    {trans.__(
                      '%1 (%2)',
                      fmt.percent(after.spot_saving),
                      fmt.money(after.saved, after.currency)
                    )}
                  </Row>
                ) : null}
                {job.failure_reason ? (
                  <div className="jp-SmCost-detail jp-SmCost-jobFailure">
                    {job.failure_reason}
                  </div>
                ) : null}
                <div className="jp-SmCost-detail" title={job.logs.group}>
                  {trans.__(
                    'Logs: %1 %2*',
                    job.logs.group,
                    job.logs.stream_prefix
                  )}
                </div>
                <div className="jp-SmCost-buttons">
                  {running && job.started_here ? (
                    <button
                      className="jp-mod-styled jp-mod-warn jp-SmCost-jobStop"
                      onClick={() => void jobs.stop(job.name)}
                    >
                      {trans.__('Stop')}
                    </button>
                  ) : null}
                  {job.outputs?.dir ? (
                    <button
                      className="jp-mod-styled jp-SmCost-jobOutputs"
                      onClick={() =>
                        void commands.execute('filebrowser:go-to-path', {
                          path: job.outputs?.dir ?? ''
                        })
                      }
                    >
                      {trans.__('Outputs')}
                    </button>
                  ) : null}
                </div>
              </li>
            );
          })}
        </ul>
      </Section>
    );
  }
);
