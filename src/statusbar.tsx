/**
 * The status bar item: `ml.t3.medium · $0.05/h · idle stop in 42m` (or busy,
 * stopping, off); a click opens the panel. It follows the status and the
 * one-second tick, and touches the DOM only when its text changes. Its
 * tooltip adds what still runs elsewhere (the last listing the panel read).
 */
import { Widget } from '@lumino/widgets';

import { ElsewhereModel } from './elsewhere';
import { Format } from './format';
import { environmentLabel, idleReasons } from './messages';
import { StatusModel } from './status';

export class SmCostStatusItem extends Widget {
  constructor(
    private _model: StatusModel,
    private _onClick: () => void,
    private _fmt: Format = new Format(),
    private _elsewhere: ElsewhereModel | null = null
  ) {
    super({ node: document.createElement('button') });
    this.addClass('jp-SmCost-status');
    this.node.setAttribute('type', 'button');
    this.node.addEventListener('click', this._onClick);
    _model.stateChanged.connect(this._update, this);
    _model.ticked.connect(this._update, this);
    _elsewhere?.stateChanged.connect(this._update, this);
    this._update();
  }

  /** The text shown now (for tests). */
  get text(): string {
    return this.node.textContent ?? '';
  }

  dispose(): void {
    this.node.removeEventListener('click', this._onClick);
    super.dispose();
  }

  private _update(): void {
    const fmt = this._fmt;
    const trans = fmt.trans;
    const status = this._model.current;
    const error = this._model.error;
    let text: string;
    let title: string;
    if (!status) {
      text = error
        ? trans.__('SageMaker cost: unavailable')
        : trans.__('SageMaker cost…');
      title = error ? fmt.error(error) : trans.__('Loading');
    } else {
      const idle = status.idle;
      const { price, environment } = status;
      text = fmt.statusBarText(
        status.instance.type,
        fmt.rate(price.per_hour, price.currency),
        idle.state,
        this._model.remaining(),
        this._model.configErrors.length > 0
      );
      const where = environmentLabel(fmt, environment) ?? environment.kind;
      const lines = [
        price.as_of
          ? trans.__(
              '%1; price source: %2 (%3)',
              where,
              fmt.sourceBadge(price.source),
              price.as_of
            )
          : trans.__(
              '%1; price source: %2',
              where,
              fmt.sourceBadge(price.source)
            ),
        ...idleReasons(fmt, idle)
      ];
      if (error) {
        lines.push(trans.__('last refresh failed: %1', fmt.error(error)));
      }
      for (const t of this._elsewhere?.current?.totals ?? []) {
        lines.push(
          trans.__(
            'elsewhere: %1, %2/day',
            fmt.rate(t.per_hour, t.currency),
            fmt.money(t.per_day, t.currency)
          )
        );
      }
      lines.push(trans.__('Click to open the SageMaker cost panel'));
      title = lines.join('\n');
    }
    if (this.node.textContent !== text) {
      this.node.textContent = text;
      this.node.setAttribute(
        'aria-label',
        trans.__('SageMaker cost: %1', text)
      );
    }
    if (this.node.title !== title) {
      this.node.title = title;
    }
  }
}
