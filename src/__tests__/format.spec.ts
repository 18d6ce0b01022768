import {
  clockSkew,
  describePrice,
  describeState,
  describeSwitchState,
  formatCountdown,
  formatDuration,
  formatMoney,
  formatRate,
  formatSpecs,
  formatSpokenDuration,
  remainingSeconds,
  statusBarText
} from '../format';
import { switchActiveStateValues, switchEndStateValues } from '../api';

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
    expect(formatMoney(v)).toBe(s);
  });
  it('shows a dash for unknown values', () => {
    expect(formatMoney(null)).toBe('\u2014');
    expect(formatMoney(undefined)).toBe('\u2014');
    expect(formatMoney(NaN)).toBe('\u2014');
  });
  it('formats a rate', () => {
    expect(formatRate(0.05)).toBe('$0.05/h');
    expect(formatRate(null)).toBe('price unknown');
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
    expect(formatDuration(v)).toBe(s);
  });
  it('shows a dash for null', () => {
    expect(formatDuration(null)).toBe('\u2014');
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
    expect(formatCountdown(v)).toBe(s);
  });
  it('shows a dash without a deadline', () => {
    expect(formatCountdown(null)).toBe('\u2014');
  });
  it('speaks at minute granularity', () => {
    expect(formatSpokenDuration(30)).toBe('less than a minute');
    expect(formatSpokenDuration(61)).toBe('about 2 minutes');
    expect(formatSpokenDuration(60)).toBe('about 1 minute');
    expect(formatSpokenDuration(3600 + 120)).toBe('about 1 hour 2 minutes');
    expect(formatSpokenDuration(-4)).toBe('less than a minute');
    expect(formatSpokenDuration(null)).toBe('no deadline');
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
    expect(formatCountdown(remainingSeconds(deadline, server, 0))).toBe('0:00');
  });

  it('is null without a deadline or with a bad one', () => {
    expect(remainingSeconds(null, server, 0)).toBeNull();
    expect(remainingSeconds('not a date', server, 0)).toBeNull();
    expect(clockSkew(null, 1, 2)).toBe(0);
  });
});

describe('statusBarText', () => {
  it('counts down when active', () => {
    expect(statusBarText('ml.t3.medium', 0.05, 'active', 42 * 60 + 5)).toBe(
      'ml.t3.medium \u00b7 $0.05/h \u00b7 idle stop in 42m'
    );
  });
  it.each([
    ['busy', 'busy'],
    ['shutting_down', 'stopping'],
    ['disabled', 'off']
  ])('%p -> %p', (state, word) => {
    expect(statusBarText('ml.g4dn.xlarge', 0.736, state, null)).toBe(
      `ml.g4dn.xlarge \u00b7 $0.736/h \u00b7 ${word}`
    );
  });
  it('handles unknown price and passed deadline', () => {
    expect(statusBarText(null, null, 'idle', -3)).toBe(
      'unknown type \u00b7 price unknown \u00b7 idle stop in 0s'
    );
  });
  it('says config error in place of the countdown', () => {
    expect(statusBarText('ml.t3.medium', 0.05, 'error', null, true)).toBe(
      'ml.t3.medium \u00b7 $0.05/h \u00b7 config error'
    );
  });
});

describe('words', () => {
  it('describes specs', () => {
    expect(
      formatSpecs({
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
      formatSpecs({
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
    expect(describeState('busy')).toMatch(/waits/);
    expect(describeState('shutting_down')).toBe('Shutting down');
  });
  it('has words for every switch state of the contract', () => {
    for (const state of [...switchActiveStateValues, ...switchEndStateValues]) {
      expect(describeSwitchState(state)).not.toBe(state);
    }
    expect(describeSwitchState('manual')).toMatch(/left for you/);
    expect(describeSwitchState('some_new_state')).toBe('some_new_state');
  });
});

describe('describePrice', () => {
  it('says what an estimate came from', () => {
    expect(
      describePrice({
        source: 'estimated',
        as_of: '2026-09-24',
        detail: 'ml.g5.4xlarge in us-east-1 x 1.45'
      })
    ).toBe('Estimated, 2026-09-24: ml.g5.4xlarge in us-east-1 x 1.45');
  });

  it('cites a bundled price and says when nothing is known', () => {
    expect(
      describePrice({ source: 'bundled', as_of: '2025-01', detail: 'a table' })
    ).toBe('Bundled, 2025-01: a table');
    expect(describePrice({ source: 'unknown', as_of: null })).toBe(
      'Unknown: no price known for this type'
    );
  });
});
