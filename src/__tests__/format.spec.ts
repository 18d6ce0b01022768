import { switchActiveStateValues, switchEndStateValues } from '../api';
import { clockSkew, remainingSeconds } from '../clock';
import { nullTranslator } from '@jupyterlab/translation';

import { Format } from '../format';

/** English, as JupyterLab shows it without a language pack. */
const fmt = new Format();

describe('formatMoney', () => {
  it.each([
    [0.05, '$0.05'],
    [0.0464, '$0.046'],
    [0.1, '$0.10'],
    [1.2, '$1.20'],
    [36.5, '$36.50'],
    [1234.4, '$1,234'],
    [0, '$0.00'],
    [0.004, '<$0.01'],
    [-2.5, '-$2.50']
  ])('%p -> %p', (v, s) => {
    expect(fmt.money(v, 'USD')).toBe(s);
  });
  it('shows a dash for unknown values', () => {
    expect(fmt.money(null, 'USD')).toBe('\u2014');
    expect(fmt.money(undefined, 'USD')).toBe('\u2014');
    expect(fmt.money(NaN, 'USD')).toBe('\u2014');
  });
  it('formats a rate', () => {
    expect(fmt.rate(0.05, 'USD')).toBe('$0.05/h');
    expect(fmt.rate(null, 'USD')).toBe('price unknown');
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [45.9, '45s'],
    [60, '1m'],
    [42 * 60 + 30, '42m'],
    [3600, '1h 00m'],
    [3600 + 5 * 60, '1h 05m'],
    [2 * 86400 + 3 * 3600 + 10, '2d 3h'],
    [-5, '0s']
  ])('%p -> %p', (v, s) => {
    expect(fmt.duration(v)).toBe(s);
  });
  it('shows a dash for null', () => {
    expect(fmt.duration(null)).toBe('\u2014');
  });
});

describe('formatCountdown', () => {
  it.each([
    [247, '4:07'],
    [3599, '59:59'],
    [3723, '1:02:03'],
    [0.2, '0:01'],
    [0, '0:00'],
    [-30, '0:00']
  ])('%p -> %p', (v, s) => {
    expect(fmt.countdown(v)).toBe(s);
  });
  it('shows a dash without a deadline', () => {
    expect(fmt.countdown(null)).toBe('\u2014');
  });
  it('speaks at minute granularity', () => {
    expect(fmt.spokenDuration(30)).toBe('less than a minute');
    expect(fmt.spokenDuration(61)).toBe('about 2 minutes');
    expect(fmt.spokenDuration(60)).toBe('about 1 minute');
    expect(fmt.spokenDuration(3600 + 120)).toBe('about 1 hour 2 minutes');
    expect(fmt.spokenDuration(-4)).toBe('less than a minute');
    expect(fmt.spokenDuration(null)).toBe('no deadline');
  });
});

describe('clock skew and remaining time', () => {
  const serverTime = '2026-11-26T12:00:00+00:00';
  const server = Date.parse(serverTime);

  it('is zero when the clocks agree', () => {
    expect(clockSkew(serverTime, server - 100, server + 100)).toBe(0);
  });

  it('measures a browser clock that is behind the server', () => {
    // browser thinks it is 90 s earlier than the server
    expect(clockSkew(serverTime, server - 90_000, server - 90_000)).toBe(
      90_000
    );
  });

  it('corrects the countdown for skew', () => {
    const deadline = '2026-11-26T12:10:00+00:00';
    const browserNow = server - 90_000; // server says 12:00, browser 11:58:30
    const skew = clockSkew(serverTime, browserNow, browserNow);
    expect(remainingSeconds(deadline, browserNow, skew)).toBeCloseTo(600);
    // one minute of browser time later
    expect(remainingSeconds(deadline, browserNow + 60_000, skew)).toBeCloseTo(
      540
    );
    // without the correction the countdown would be 90 s too long
    expect(remainingSeconds(deadline, browserNow, 0)).toBeCloseTo(690);
  });

  it('goes negative once the deadline passed', () => {
    const deadline = '2026-11-26T11:59:00+00:00';
    expect(remainingSeconds(deadline, server, 0)).toBeCloseTo(-60);
    expect(fmt.countdown(remainingSeconds(deadline, server, 0))).toBe('0:00');
  });

  it('is null without a deadline or with a bad one', () => {
    expect(remainingSeconds(null, server, 0)).toBeNull();
    expect(remainingSeconds('not a date', server, 0)).toBeNull();
    expect(clockSkew(null, 1, 2)).toBe(0);
  });
});

describe('statusBarText', () => {
  it('counts down when active', () => {
    expect(
      fmt.statusBarText(
        'ml.t3.medium',
        fmt.rate(0.05, 'USD'),
        'active',
        42 * 60 + 5
      )
    ).toBe('ml.t3.medium \u00b7 $0.05/h \u00b7 idle stop in 42m');
  });
  it.each([
    ['busy', 'busy'],
    ['shutting_down', 'stopping'],
    ['disabled', 'off']
  ])('%p -> %p', (state, word) => {
    expect(
      fmt.statusBarText('ml.g4dn.xlarge', fmt.rate(0.736, 'USD'), state, null)
    ).toBe(`ml.g4dn.xlarge \u00b7 $0.736/h \u00b7 ${word}`);
  });
  it('handles unknown price and passed deadline', () => {
    expect(fmt.statusBarText(null, fmt.rate(null, 'USD'), 'idle', -3)).toBe(
      'unknown type \u00b7 price unknown \u00b7 idle stop in 0s'
    );
  });
  it('says config error in place of the countdown', () => {
    expect(
      fmt.statusBarText(
        'ml.t3.medium',
        fmt.rate(0.05, 'USD'),
        'error',
        null,
        true
      )
    ).toBe('ml.t3.medium \u00b7 $0.05/h \u00b7 config error');
  });
});

describe('words', () => {
  it('describes specs', () => {
    expect(
      fmt.specs({
        type: 'ml.g4dn.xlarge',
        types: ['ml.g4dn.xlarge'],
        vcpu: 4,
        memory_gib: 16,
        gpu_count: 1,
        gpu_model: 'NVIDIA T4',
        gpu_memory_gib: 16
      })
    ).toBe('4 vCPU \u00b7 16 GiB \u00b7 1 \u00d7 NVIDIA T4 (16 GiB)');
    expect(
      fmt.specs({
        type: 'x',
        types: ['x'],
        vcpu: null,
        memory_gib: null,
        gpu_count: null,
        gpu_model: null
      })
    ).toBe('specs unknown');
  });
  it('describes states', () => {
    expect(fmt.state('busy')).toMatch(/waits/);
    expect(fmt.state('shutting_down')).toBe('Shutting down');
  });
  it('has words for every switch state of the contract', () => {
    for (const state of [...switchActiveStateValues, ...switchEndStateValues]) {
      expect(fmt.switchState(state)).not.toBe(state);
    }
    expect(fmt.switchState('manual')).toMatch(/left for you/);
    expect(fmt.switchState('some_new_state')).toBe('some_new_state');
  });
});

describe('describePrice', () => {
  it('says what an estimate came from', () => {
    expect(
      fmt.price({
        source: 'estimated',
        as_of: '2026-09-24',
        detail: 'ml.g5.4xlarge in us-east-1 x 1.45'
      })
    ).toBe('Estimated, 2026-09-24: ml.g5.4xlarge in us-east-1 x 1.45');
  });

  it('cites a bundled price and says when nothing is known', () => {
    expect(
      fmt.price({ source: 'bundled', as_of: '2025-01', detail: 'a table' })
    ).toBe('Bundled, 2025-01: a table');
    expect(fmt.price({ source: 'unknown', as_of: null })).toBe(
      'Unknown: no price known for this type'
    );
  });
});

describe('the UI locale', () => {
  afterEach(() => {
    document.documentElement.lang = '';
  });

  it('formats money with the currency and the locale, not a hard-coded $', () => {
    expect(new Format(undefined, 'zh-CN').money(0.05, 'CNY')).toBe('¥0.05');
    expect(fmt.money(0.05, 'CNY')).toBe('¥0.05'); // the issue: ¥ in China
    expect(new Format(undefined, 'de-DE').money(1234.4, 'EUR')).toBe(
      '1.234\u00a0€'
    );
    expect(new Format(undefined, 'de-DE').money(0.0464, 'USD')).toBe(
      '0,046\u00a0$'
    );
    expect(new Format(undefined, 'zh-CN').rate(0.05, 'CNY')).toBe('¥0.05/h');
  });

  it('formats durations, the countdown, percentages and numbers for the locale', () => {
    const zh = new Format(undefined, 'zh-CN');
    expect(zh.duration(42 * 60 + 5)).toBe('42分钟');
    expect(zh.spokenDuration(61)).toBe('about 2分钟'); // the words come from the catalogue
    expect(zh.percent(0.42)).toBe('42%');
    expect(zh.countdown(3723)).toBe('1:02:03');
    const ar = new Format(undefined, 'ar-EG');
    expect(ar.countdown(247)).toBe('٤:٠٧');
    expect(new Format(undefined, 'de-DE').number(4.5)).toBe('4,5');
    expect(
      new Format(undefined, 'de-DE').specs({
        type: 'x',
        types: ['x'],
        vcpu: 2,
        memory_gib: 7.5,
        gpu_count: 0,
        gpu_model: null
      })
    ).toBe('2 vCPU \u00b7 7,5 GiB');
  });

  it("follows JupyterLab's language (the page's lang), else the translator's", () => {
    document.documentElement.lang = 'fr-FR';
    expect(new Format().locale).toBe('fr-FR');
    expect(new Format().number(1234.5)).toBe('1\u202f234,5');
    document.documentElement.lang = '';
    const zh = { languageCode: 'zh-CN', load: () => nullTranslator.load('x') };
    expect(new Format(zh).locale).toBe('zh-CN');
    document.documentElement.lang = 'not a language tag!';
    expect(new Format().locale).toBe('en');
  });

  it('takes every sentence from the translator, in the domain jupyterlab_smcost', () => {
    const domains: string[] = [];
    const trans = nullTranslator.load('jupyterlab_smcost');
    const translator = {
      languageCode: 'en',
      load: (domain: string) => {
        domains.push(domain);
        return {
          ...trans,
          __: (id: string, ...args: any[]) => `«${trans.__(id, ...args)}»`,
          _n: (a: string, b: string, n: number, ...args: any[]) =>
            `«${trans._n(a, b, n, ...args)}»`,
          _p: (c: string, id: string, ...args: any[]) =>
            `«${trans._p(c, id, ...args)}»`
        };
      }
    };
    const t = new Format(translator as any);
    expect(domains).toEqual(['jupyterlab_smcost']);
    expect(t.state('busy')).toBe('«Busy: idle shutdown waits»');
    expect(t.rate(0.05, 'USD')).toBe('«$0.05/h»');
    expect(t.duration(3900)).toBe('«1h 05m»');
    expect(t.spokenDuration(120)).toBe('«about 2 minutes»');
  });
});
