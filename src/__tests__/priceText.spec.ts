/**
 * Prices' details and fixes, AWS actions and refused requests said from
 * their codes: in Chinese through the shipped zh_CN catalogue (loaded as
 * JupyterLab's translation manager loads it), and from the prices they name
 * (an estimate's basis, a sum's parts).
 */
import * as fs from 'fs';
import * as path from 'path';

import { Gettext, ITranslator } from '@jupyterlab/translation';

import { mapSpendSeries } from '../spendData';
import { serverErrorText } from '../errorText';
import { Format } from '../format';
import { priceDescription, priceDetail, priceFix } from '../priceText';
import { IBilled, IPrice } from '../tokens';
import { makeHistory, makeQuote } from './fixtures';

const CATALOGUE = path.resolve(
  __dirname,
  '../../jupyterlab_smcost/locale/zh_CN/LC_MESSAGES/jupyterlab_smcost.json'
);

/** The zh_CN catalogue as JupyterLab's TranslationManager loads it. */
function zhTranslator(): ITranslator {
  const data = JSON.parse(fs.readFileSync(CATALOGUE, 'utf8'));
  const bundle = new Gettext({ domain: 'jupyterlab_smcost', locale: 'zh-CN' });
  bundle.loadJSON(
    { ...data, '': { ...data[''], pluralForms: data[''].plural_forms } },
    'jupyterlab_smcost'
  );
  return {
    languageCode: 'zh-CN',
    languages: async () => ({}),
    load: () => bundle
  } as unknown as ITranslator;
}

const where = {
  component: 'Studio-JupyterLab',
  region: 'cn-north-1',
  type: 'ml.t3.medium'
};

const chinaUnknown = makeQuote({
  per_hour: null,
  currency: 'CNY',
  source: 'unknown',
  as_of: null,
  region: 'cn-north-1',
  detail: 'no Studio-JupyterLab price is known ... (English)',
  fix: 'turn live prices on ... (English)',
  detail_message: {
    code: 'price.unknown_china_live_off',
    text: 'no Studio-JupyterLab price is known ... (English)',
    params: where
  },
  fix_message: {
    code: 'fix.live_prices_china',
    text: 'turn live prices on ... (English)',
    params: { api_region: 'cn-northwest-1' }
  }
});

describe('price details in Chinese', () => {
  const zh = new Format(zhTranslator(), 'zh-CN');

  it('says why a China price is unknown and what would fix it', () => {
    expect(priceDetail(zh, chinaUnknown)).toBe(
      'cn-north-1 中 ml.t3.medium 的 Studio-JupyterLab 价格未知：扩展未内置中国区（人民币）价格，美元价格从不换算，且实时价格已关闭'
    );
    expect(priceFix(zh, chinaUnknown)).toBe(
      '开启实时价格（SmCostApp.live_prices；角色需要 pricing:GetProducts 权限），中国区价格由 cn-northwest-1 提供'
    );
    // the badge's hover text
    expect(zh.price(chinaUnknown)).toContain('美元价格从不换算');
  });

  it('says a failed live fetch with the AWS error in Chinese', () => {
    const failed = makeQuote({
      per_hour: null,
      source: 'unknown',
      detail: 'English',
      detail_message: {
        code: 'price.unknown_fetch_failed',
        text: 'English',
        params: {
          ...where,
          region: 'eu-west-1',
          error: 'Could not reach the AWS endpoint: https://api.pricing...',
          error_code: 'aws_unreachable',
          error_detail: 'Could not connect to the endpoint URL'
        }
      },
      fix_message: {
        code: 'fix.route_to_pricing',
        text: 'English',
        params: {
          api_region: 'us-east-1',
          host: 'api.pricing.us-east-1.amazonaws.com'
        }
      }
    });
    const said = priceDetail(zh, failed);
    expect(said).toMatch(/^eu-west-1 中 ml\.t3\.medium 的 Studio-JupyterLab/);
    expect(said).toContain('Could not connect to the endpoint URL');
    expect(said).not.toContain('Could not reach the AWS endpoint');
    expect(priceFix(zh, failed)).toContain(
      '（api.pricing.us-east-1.amazonaws.com）'
    );
  });

  it('says a refused idle setting and an AWS action in Chinese', () => {
    expect(
      serverErrorText(zh, 'invalid_setting', {
        rule: 'positive',
        setting: 'timeout_s',
        value: 0
      })
    ).toBe('timeout_s 必须为正数，收到的是 0');
    expect(
      serverErrorText(zh, 'invalid_setting', {
        rule: 'warning_shorter',
        warning_s: 600,
        timeout_s: 300
      })
    ).toBe('警告时间（600 秒）必须短于空闲超时（300 秒）');
    const throttled = serverErrorText(zh, 'aws_throttled', {
      operation: 'StopNotebookInstance',
      action: 'stop for idleness',
      action_code: 'action.stop_idle'
    });
    expect(throttled).toContain('因空闲而停止此服务器');
    expect(throttled).not.toContain('stop for idleness');
    // an action without a code: the server's words
    expect(
      serverErrorText(zh, 'aws_throttled', {
        operation: 'X',
        action: 'do a thing'
      })
    ).toContain('do a thing');
    expect(
      serverErrorText(zh, 'billed_unavailable', { where: 'local' })
    ).toMatch(/^不在 SageMaker 上运行/);
  });

  it('says why billed spend is unavailable by its code', () => {
    const billed: IBilled = {
      state: 'unavailable',
      message: 'notebook instances carry no ... (English)',
      error: {
        code: 'billed_unavailable',
        params: { where: 'notebook_instance' }
      },
      note: 'billed by AWS',
      tag: null,
      currency: 'USD',
      days: [],
      month_to_date: null,
      through: null,
      fetched_at: null
    };
    const said = mapSpendSeries(makeHistory({ billed }), zh).billed?.message;
    expect(said).toMatch(/^笔记本实例没有 AWS 生成的成本分配标签/);
    // an older server's: its message as it comes
    const older = { ...billed, error: undefined };
    expect(
      mapSpendSeries(makeHistory({ billed: older }), zh).billed?.message
    ).toBe('notebook instances carry no ... (English)');
  });
});

describe('price details from the prices they name', () => {
  const fmt = new Format(undefined, 'en');
  const bundled = makeQuote({
    per_hour: 0.816,
    region: 'us-east-1',
    component: 'Hosting',
    instance_type: 'ml.c5.4xlarge',
    as_of: '2025-01',
    detail: 'a citation, said as it is'
  });
  const fromComponent: IPrice = makeQuote({
    per_hour: 0.816,
    source: 'estimated',
    as_of: '2025-01',
    component: 'BatchTransform',
    instance_type: 'ml.c5.4xlarge',
    range: { low: 0.8128, high: 0.8192 },
    detail: 'English',
    detail_message: {
      code: 'price.est_component_as_is',
      text: 'English',
      params: {
        component: 'BatchTransform',
        other: 'Hosting',
        pairs: 98,
        region: 'us-east-1',
        type: 'ml.c5.4xlarge',
        worst: 0.0033
      }
    },
    basis: bundled
  });

  it('describes an estimate through its basis, itself an estimate', () => {
    const fromRegion = makeQuote({
      per_hour: 1.026,
      source: 'estimated',
      region: 'ap-northeast-1',
      component: 'BatchTransform',
      instance_type: 'ml.c5.4xlarge',
      detail: 'English',
      detail_message: {
        code: 'price.est_region',
        text: 'English',
        params: {
          other: 'us-east-1',
          over: 'c5',
          ratio: 1.26,
          region: 'ap-northeast-1',
          shared: 2,
          type: 'ml.c5.4xlarge',
          regions: 3
        }
      },
      basis: fromComponent
    });
    expect(priceDetail(fmt, fromRegion)).toBe(
      'ml.c5.4xlarge in us-east-1 ($0.816/h estimated 2025-01, likely $0.813\u2013$0.819/h: ' +
        'ml.c5.4xlarge Hosting price in us-east-1 ($0.816/h, bundled 2025-01) as is: no BatchTransform price in us-east-1 to compare; ' +
        'components priced a type within 0.3% of each other wherever two were known (98 pairs)) ' +
        'x 1.26, the ap-northeast-1 / us-east-1 ratio over the 2 c5 types both price; its range: the same rule through 3 regions'
    );
    // a citation has no code: said as the server sends it
    expect(priceDetail(fmt, bundled)).toBe('a citation, said as it is');
    expect(priceDescription(fmt, bundled)).toBe('$0.816/h, bundled 2025-01');
  });

  it('describes a sum from its parts, and an unknown one by the part that is', () => {
    const unknownPart = makeQuote({
      per_hour: null,
      source: 'unknown',
      instance_type: 'ml.zz.large',
      detail: 'English',
      detail_message: {
        code: 'price.unknown_too_little_data',
        text: 'English',
        params: { ...where, region: 'us-east-1', type: 'ml.zz.large' }
      }
    });
    const sum = makeQuote({
      per_hour: 0.1,
      instance_type: null,
      detail: 'English',
      detail_message: {
        code: 'price.sum',
        text: 'English',
        params: { count: 2 }
      },
      parts: [makeQuote(), makeQuote()]
    });
    expect(priceDetail(fmt, sum)).toBe(
      'sum of 2 apps: ml.t3.medium $0.05/h, bundled 2026-09-24; ml.t3.medium $0.05/h, bundled 2026-09-24'
    );
    const unknownSum = makeQuote({
      per_hour: null,
      source: 'unknown',
      instance_type: null,
      detail: 'English',
      detail_message: {
        code: 'price.unknown_parts',
        text: 'English',
        params: { part: 1, types: 'ml.zz.large' }
      },
      parts: [makeQuote(), unknownPart]
    });
    expect(priceDetail(fmt, unknownSum)).toBe(
      'the price of ml.zz.large is unknown: no Studio-JupyterLab price is known for ml.zz.large in us-east-1, and too little close data to estimate one'
    );
    // without the parts it names (an older or partial body): the server's text
    expect(priceDetail(fmt, { ...unknownSum, parts: null })).toBe('English');
    expect(priceFix(fmt, unknownSum)).toBeNull();
  });
});
