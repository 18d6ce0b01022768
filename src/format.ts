/**
 * The product's words for the views (sources, states, prices, specs,
 * errors), every sentence through JupyterLab's translator (domain
 * `jupyterlab_smcost`), on top of the values of formatValues.ts; unit-tested
 * in src/__tests__/format.spec.ts.
 */
import { serverErrorText } from './errorText';
import { ValueFormat } from './formatValues';
import { priceDetail, PriceLike } from './priceText';
import { IdleState, IInstance, PriceSource, SwitchState } from './tokens';

export { DOMAIN, USD, uiLocale } from './formatValues';

/** Formatting in one language: `fmt.trans` for sentences, the rest for values. */
export class Format extends ValueFormat {
  /** Instance specs in one line: `2 vCPU · 4 GiB · 1 × NVIDIA T4 (16 GiB)`. */
  specs(instance: IInstance | null | undefined): string {
    if (!instance) {
      return '';
    }
    const trans = this.trans;
    const parts: string[] = [];
    if (instance.vcpu !== null && instance.vcpu !== undefined) {
      parts.push(trans.__('%1 vCPU', this.number(instance.vcpu)));
    }
    if (instance.memory_gib !== null && instance.memory_gib !== undefined) {
      parts.push(this.gib(instance.memory_gib));
    }
    if (instance.gpu_count) {
      const model = instance.gpu_model ?? trans.__('GPU');
      parts.push(
        instance.gpu_memory_gib
          ? trans.__(
              '%1 \u00d7 %2 (%3)',
              this.number(instance.gpu_count),
              model,
              this.gib(instance.gpu_memory_gib)
            )
          : trans.__('%1 \u00d7 %2', this.number(instance.gpu_count), model)
      );
    }
    return parts.length ? parts.join(' \u00b7 ') : trans.__('specs unknown');
  }

  /** Plain words for a price source. */
  source(source: PriceSource | string): string {
    switch (source) {
      case 'live':
        return this.trans.__('live AWS Price List');
      case 'bundled':
        return this.trans.__('price snapshot bundled with the extension');
      case 'estimated':
        return this.trans.__('estimate from close known prices');
      case 'not_billed':
        return this.trans.__('nothing billed is running');
      default:
        return this.trans.__('no price known for this type');
    }
  }

  /** The short name of a price source, for its badge. */
  sourceBadge(source: PriceSource | string): string {
    switch (source) {
      case 'live':
        return this.trans.__('live');
      case 'bundled':
        return this.trans.__('bundled');
      case 'estimated':
        return this.trans.__('estimated');
      case 'unknown':
        return this.trans.__('unknown');
      case 'not_billed':
        return this.trans.__('not billed');
      default:
        return String(source);
    }
  }

  /**
   * What a price badge says on hover and to a screen reader: the source, its
   * date and where the figure comes from (an estimate says what it was made
   * from), said by its code (priceText.ts); a citation as it comes.
   */
  price(price: PriceLike): string {
    const badge = this.sourceBadge(price.source);
    const label =
      badge.charAt(0).toLocaleUpperCase(this.locale) + badge.slice(1);
    const detail = priceDetail(this, price) || this.source(price.source);
    return price.as_of
      ? this.trans.__('%1, %2: %3', label, price.as_of, detail)
      : this.trans.__('%1: %2', label, detail);
  }

  /** Plain words for an idle state. */
  state(state: IdleState | string): string {
    switch (state) {
      case 'active':
        return this.trans.__('Active');
      case 'idle':
        return this.trans.__('Idle');
      case 'busy':
        return this.trans.__('Busy: idle shutdown waits');
      case 'disabled':
        return this.trans.__('Idle shutdown is off');
      case 'shutting_down':
        return this.trans.__('Shutting down');
      case 'error':
        return this.trans.__('Error');
      default:
        return String(state);
    }
  }

  /** Plain words for a switch's state; typed by the contract, so none can be missing. */
  switchState(state: SwitchState | string): string {
    const trans = this.trans;
    const words: Record<SwitchState, () => string> = {
      pending: () => trans.__('starting'),
      running: () => trans.__('in progress'),
      waiting_external: () =>
        trans.__(
          'handed to the switcher function: this server stops, changes type and starts again'
        ),
      manual: () => trans.__('one step is left for you (below)'),
      succeeded: () => trans.__('done'),
      failed: () => trans.__('failed (the error is below)')
    };
    const word = (words as Record<string, () => string>)[state];
    return word ? word() : String(state);
  }

  /** What an idle shutdown does in this environment, in plain words. */
  shutdown(kind: string | null | undefined): string {
    switch (kind) {
      case 'local':
        return this.trans.__('this Jupyter server will stop');
      case 'notebook-instance':
        return this.trans.__('this notebook instance will stop');
      case 'studio-space':
        return this.trans.__(
          'this app will be deleted (the files in your space stay)'
        );
      case 'studio-classic':
        return this.trans.__(
          'idle kernels and KernelGateway apps will shut down'
        );
      default:
        return this.trans.__('this server will stop');
    }
  }

  /**
   * The status bar text: `ml.t3.medium · $0.05/h · idle stop in 42m`, or
   * `... · busy`, `... · stopping`, `... · off`, `... · config error`.
   */
  statusBarText(
    type: string | null,
    rate: string,
    state: IdleState | string | null,
    remaining: number | null,
    configError = false
  ): string {
    const trans = this.trans;
    const parts = [type ?? trans.__('unknown type'), rate];
    if (configError) {
      parts.push(trans.__('config error'));
      return parts.join(' \u00b7 ');
    }
    switch (state) {
      case 'busy':
        parts.push(trans.__('busy'));
        break;
      case 'shutting_down':
        parts.push(trans.__('stopping'));
        break;
      case 'disabled':
        parts.push(trans.__('off'));
        break;
      case 'error':
        parts.push(trans.__('idle stop: error'));
        break;
      case null:
        break;
      default:
        parts.push(
          remaining === null
            ? trans.__('idle stop: no deadline')
            : trans.__('idle stop in %1', this.duration(remaining))
        );
    }
    return parts.join(' \u00b7 ');
  }

  /**
   * An error for a person to read: this client's own errors translated from
   * their code; the server's message as it comes.
   */
  error(e: unknown): string {
    const trans = this.trans;
    const code = (e as { code?: string } | null)?.code;
    const params = ((e as { params?: Record<string, unknown> } | null)
      ?.params ?? {}) as Record<string, unknown>;
    switch (code) {
      case 'not_installed':
        return trans.__(
          'server extension not installed (or not enabled): no answer from smcost/status'
        );
      case 'network_error':
        return trans.__(
          'cannot reach the Jupyter server: %1',
          String(params.detail ?? '')
        );
      case 'http_error':
        return trans.__(
          'the server answered %1 %2',
          String(params.status ?? ''),
          String(params.statusText ?? '')
        );
      default:
        return (
          serverErrorText(this, code ?? '', params) ??
          (e instanceof Error ? e.message : String(e))
        );
    }
  }
}
