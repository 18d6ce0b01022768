/**
 * A price's detail and fix in the user's language (openapi.yaml `MessageCode`
 * price.* and fix.*), from their params and the prices they name (`basis`,
 * `parts`); the server's English text for a citation or a code not known here.
 */
import type { Format } from './format';
import { serverErrorText } from './errorText';
import { num, str } from './params';
import { IMessage, IPrice } from './tokens';

/** What the sentences read of a price (tests and older servers send less). */
export type PriceLike = Pick<IPrice, 'source'> & Partial<IPrice>;

/** Why a price is what it is: the citation, how it was estimated, why unknown. */
export function priceDetail(fmt: Format, price: PriceLike): string {
  const m = price.detail_message;
  return (m && detailText(fmt, m, price)) ?? price.detail ?? '';
}

/** What would make an unknown price known, or null when nothing would. */
export function priceFix(fmt: Format, price: PriceLike): string | null {
  const m = price.fix_message;
  return (m && fixText(fmt, m)) ?? price.fix ?? null;
}

/**
 * One price in a sentence: `$2.03/h, bundled 2026-09-24`; an estimate adds
 * its likely range and how it was made (the server's `Quote.describe`).
 */
export function priceDescription(fmt: Format, price: PriceLike): string {
  const trans = fmt.trans;
  const rate = fmt.rate(price.per_hour, price.currency ?? 'USD');
  const badge = fmt.sourceBadge(price.source);
  const dated = price.as_of ? trans.__('%1 %2', badge, price.as_of) : badge;
  if (price.source !== 'estimated') {
    return trans.__('%1, %2', rate, dated);
  }
  const detail = priceDetail(fmt, price);
  return price.range
    ? trans.__(
        '%1 %2, %3: %4',
        rate,
        dated,
        fmt.likely(price.range, price.currency ?? 'USD'),
        detail
      )
    : trans.__('%1 %2: %3', rate, dated, detail);
}

/** A fraction as a percentage with one decimal: `0.3%`. */
function percent1(fmt: Format, x: number): string {
  return new Intl.NumberFormat(fmt.locale, {
    style: 'percent',
    minimumFractionDigits: 1,
    maximumFractionDigits: 1
  }).format(x);
}

/** An amount to 4 significant digits: `$1.234` (a fitted rate). */
function money4(fmt: Format, v: number, currency: string): string {
  return new Intl.NumberFormat(fmt.locale, {
    style: 'currency',
    currency,
    currencyDisplay: 'narrowSymbol',
    maximumSignificantDigits: 4
  }).format(v);
}

/** The error a message quotes (`error_code`, `error_<param>`), said by its code. */
function quotedError(fmt: Format, m: IMessage): string {
  const p = m.params;
  return (
    serverErrorText(fmt, str(p, 'error_code'), {
      action: '', // the quoting sentence says what was being done
      operation: p.error_operation,
      aws_code: p.error_aws_code,
      detail: p.error_detail
    }) ?? str(p, 'error')
  );
}

/** A price's detail by its code, or null for another code or missing prices. */
function detailText(fmt: Format, m: IMessage, price: PriceLike): string | null {
  const trans = fmt.trans;
  const p = m.params;
  const component = str(p, 'component');
  const region = str(p, 'region');
  const type = str(p, 'type');
  const basis = price.basis ? priceDescription(fmt, price.basis) : null;
  switch (m.code) {
    case 'price.live': {
      let said = trans.__('AWS Price List API, %1, %2', region, component);
      if (str(p, 'as_of')) {
        said = trans.__('%1, offer published %2', said, str(p, 'as_of'));
      }
      if (str(p, 'effective')) {
        said = trans.__('%1, term effective %2', said, str(p, 'effective'));
      }
      return said;
    }
    case 'price.not_billed':
      return trans.__('no billed app is running');
    case 'price.sum': {
      const parts = price.parts ?? [];
      if (!parts.length) {
        return null;
      }
      const each = parts.map(q =>
        trans.__('%1 %2', q.instance_type ?? '', priceDescription(fmt, q))
      );
      return trans._n(
        'sum of %1 app: %2',
        'sum of %1 apps: %2',
        num(p, 'count'),
        each.join('; ')
      );
    }
    case 'price.unknown_fetch_failed':
      return trans.__(
        'no %1 price is known for %2 in %3: the live Price List fetch failed: %4',
        component,
        type,
        region,
        quotedError(fmt, m)
      );
    case 'price.type_not_read_yet':
      return trans.__('the instance type is not known yet');
    case 'price.type_unreadable':
      return trans.__(
        'the instance type could not be read: %1',
        quotedError(fmt, m)
      );
    case 'price.unknown_too_little_data':
      return trans.__(
        'no %1 price is known for %2 in %3, and too little close data to estimate one',
        component,
        type,
        region
      );
    case 'price.unknown_live_off':
      return trans.__(
        'no %1 price is known for %2 in %3: none is bundled for %3, and live prices are off',
        component,
        type,
        region
      );
    case 'price.unknown_china_live_off':
      return trans.__(
        'no %1 price is known for %2 in %3: no China (CNY) price is bundled, a USD price is never converted, and live prices are off',
        component,
        type,
        region
      );
    case 'price.unknown_not_fetched':
      return trans.__(
        'no %1 price is known for %2 in %3: none is bundled for %3, and none was fetched live yet',
        component,
        type,
        region
      );
    case 'price.unknown_nowhere':
      return trans.__(
        'no %1 price is known for %2 in %3: neither the bundled snapshot nor the Price List has any',
        component,
        type,
        region
      );
    case 'price.unknown_parts': {
      const part = price.parts?.[num(p, 'part')];
      if (!part) {
        return null;
      }
      return trans.__(
        'the price of %1 is unknown: %2',
        str(p, 'types'),
        priceDetail(fmt, part)
      );
    }
    case 'price.est_component': {
      if (basis === null) {
        return null;
      }
      const args = [
        type,
        str(p, 'other'),
        region,
        basis,
        fmt.number(num(p, 'ratio'), 3, 3),
        component
      ];
      const kind = str(p, 'kind');
      return kind
        ? trans._n(
            '%2 %3 price in %4 (%5) x %6, the %7 / %3 ratio over the %1 %8 type both price in %4',
            '%2 %3 price in %4 (%5) x %6, the %7 / %3 ratio over the %1 %8 types both price in %4',
            num(p, 'shared'),
            ...args,
            kind
          )
        : trans._n(
            '%2 %3 price in %4 (%5) x %6, the %7 / %3 ratio over the %1 priced type both price in %4',
            '%2 %3 price in %4 (%5) x %6, the %7 / %3 ratio over the %1 priced types both price in %4',
            num(p, 'shared'),
            ...args
          );
    }
    case 'price.est_component_as_is':
      if (basis === null) {
        return null;
      }
      return trans._n(
        '%2 %3 price in %4 (%5) as is: no %6 price in %4 to compare; components priced a type within %7 of each other wherever two were known (%1 pair)',
        '%2 %3 price in %4 (%5) as is: no %6 price in %4 to compare; components priced a type within %7 of each other wherever two were known (%1 pairs)',
        num(p, 'pairs'),
        type,
        str(p, 'other'),
        region,
        basis,
        component,
        percent1(fmt, num(p, 'worst'))
      );
    case 'price.est_region': {
      if (basis === null) {
        return null;
      }
      const said = trans._n(
        '%2 in %3 (%4) x %5, the %6 / %3 ratio over the %1 %7 type both price',
        '%2 in %3 (%4) x %5, the %6 / %3 ratio over the %1 %7 types both price',
        num(p, 'shared'),
        type,
        str(p, 'other'),
        basis,
        fmt.number(num(p, 'ratio'), 2, 2),
        region,
        str(p, 'over')
      );
      return p.regions === undefined
        ? said
        : trans._n(
            '%2; its range: the same rule through %1 region',
            '%2; its range: the same rule through %1 regions',
            num(p, 'regions'),
            said
          );
    }
    case 'price.est_family_size':
      if (basis === null) {
        return null;
      }
      return trans.__(
        '%1 in %2 (%3) x %4: CPU types of a family are priced in proportion to their size',
        str(p, 'sibling'),
        region,
        basis,
        fmt.number(num(p, 'factor'), 3)
      );
    case 'price.est_family_fit': {
      const currency = str(p, 'currency');
      const args = [
        money4(fmt, num(p, 'per_unit'), currency),
        money4(fmt, num(p, 'per_vcpu'), currency),
        str(p, 'family'),
        component,
        region,
        percent1(fmt, num(p, 'check'))
      ];
      return str(p, 'unit') === 'GPU'
        ? trans._n(
            '%2 per GPU + %3 per vCPU, fitted to the %1 %4 %5 price in %6, each predicted within %7 when left out',
            '%2 per GPU + %3 per vCPU, fitted to the %1 %4 %5 prices in %6, each predicted within %7 when left out',
            num(p, 'count'),
            ...args
          )
        : trans._n(
            '%2 per accelerator + %3 per vCPU, fitted to the %1 %4 %5 price in %6, each predicted within %7 when left out',
            '%2 per accelerator + %3 per vCPU, fitted to the %1 %4 %5 prices in %6, each predicted within %7 when left out',
            num(p, 'count'),
            ...args
          );
    }
    default:
      return null;
  }
}

/** What would make a price known, by its code; null for another code. */
function fixText(fmt: Format, m: IMessage): string | null {
  const trans = fmt.trans;
  const p = m.params;
  switch (m.code) {
    case 'fix.live_prices':
      return trans.__(
        'turn live prices on (SmCostApp.live_prices; the role needs pricing:GetProducts)'
      );
    case 'fix.live_prices_china':
      return trans.__(
        'turn live prices on (SmCostApp.live_prices; the role needs pricing:GetProducts), served for China from %1',
        str(p, 'api_region')
      );
    case 'fix.allow_get_products':
      return trans.__(
        'allow pricing:GetProducts to the role this server runs as (the Price List API is served from %1 whatever the region priced)',
        str(p, 'api_region')
      );
    case 'fix.route_to_pricing':
      return trans.__(
        'a route from this network to the Price List API in %1 (%2): a NAT gateway, or an interface VPC endpoint (AWS PrivateLink) for the Price List API',
        str(p, 'api_region'),
        str(p, 'host')
      );
    case 'fix.credentials':
      return trans.__(
        'AWS credentials for this server: a role attached to the instance, or credentials in its environment'
      );
    default:
      return null;
  }
}
