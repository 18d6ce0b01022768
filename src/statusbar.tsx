/**
 * The status bar item: `ml.t3.medium · $0.05/h · idle stop in 42m` (or busy,
 * stopping, off); a click opens the panel.
 */
import { Widget } from '@lumino/widgets';

import { statusBarText } from './format';
import { SmCostModel } from './model';

export class SmCostStatusItem extends Widget {
  constructor(
    private _model: SmCostModel,
    private _onClick: () => void
  ) {
    super({ node: document.createElement('button') });
    this.addClass('jp-SmCost-status');
    this.node.setAttribute('type', 'button');
    this.node.addEventListener('click', this._onClick);
    _model.changed.connect(this._update, this);
    _model.ticked.connect(this._update, this);
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
    const status = this._model.status;
    const error = this._model.error;
    let text: string;
    let title: string;
    if (!status) {
      text = error ? 'SageMaker cost: unavailable' : 'SageMaker cost…';
      title = error ? error.message : 'Loading';
    } else {
      const idle = status.idle;
      text = statusBarText(
        status.instance.type,
        status.price.per_hour,
        idle.state,
        this._model.remaining(),
        this._model.configErrors.length > 0
      );
      title =
        `${status.environment.label ?? status.environment.kind}; price source: ` +
        `${status.price.source}${status.price.as_of ? ` (${status.price.as_of})` : ''}` +
        (idle.reasons.length ? `\n${idle.reasons.join('\n')}` : '') +
        (error ? `\nlast refresh failed: ${error.message}` : '') +
        '\nClick to open the SageMaker cost panel';
    }
    if (this.node.textContent !== text) {
      this.node.textContent = text;
    }
    if (this.node.title !== title) {
      this.node.title = title;
      this.node.setAttribute('aria-label', `SageMaker cost: ${text}`);
    }
  }
}
