/**
 * The takeover rule (`web/takeover-detector.ts`) on its own: what makes a conflict, and, attacked
 * with random histories (fast-check), what never does: a close that the client's own traffic or the
 * network explains, a long-lived connection, or an attempt that never reached the broker.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CONNACK_SERVER_UNAVAILABLE,
  OWN_CONNECT_RATE_WINDOW_MS,
  KICKS_BEFORE_CONFLICT,
  OWN_PENDING_ACK_WINDOW_MS,
  OWN_QOS0_PUBLISH_WINDOW_MS,
  SHORT_LIVED_MS,
  TakeoverDetector,
  type TakeoverVerdict,
} from '../../web/takeover-detector.js';

/** One connection that is closed `lifeMs` after its CONNACK. */
function kick(detector: TakeoverDetector, at: number, lifeMs = 1_500): TakeoverVerdict {
  detector.connected(at);
  return detector.closed(at + lifeMs);
}

describe('TakeoverDetector', () => {
  it(`${KICKS_BEFORE_CONFLICT} short-lived connections in a row, with nothing to explain them, are a conflict`, () => {
    const detector = new TakeoverDetector();
    expect(kick(detector, 0)).toBe('none');
    expect(kick(detector, 3_000)).toBe('none');
    expect(kick(detector, 6_000)).toBe('conflict');
    expect(detector.kicks).toBe(3);
  });

  it('connect-rate refusals (CONNACK 3) count as kicks; other refusals reset the count', () => {
    const detector = new TakeoverDetector();
    expect(kick(detector, 0)).toBe('none');
    expect(detector.refused(CONNACK_SERVER_UNAVAILABLE, 3_000)).toBe('none');
    expect(detector.closed(3_010)).toBe('none'); // the refused attempt's close is not counted again
    expect(detector.kicks).toBe(2);
    expect(detector.refused(5, 4_000)).toBe('none');
    expect(detector.kicks).toBe(0);
    expect(kick(detector, 5_000)).toBe('none');
    expect(detector.refused(CONNACK_SERVER_UNAVAILABLE, 8_000)).toBe('none');
    expect(detector.refused(CONNACK_SERVER_UNAVAILABLE, 10_000)).toBe('conflict');
  });

  it(`a connect-rate refusal within ${OWN_CONNECT_RATE_WINDOW_MS} ms of this client's own CONNACK is its own doing: neither counted nor reset`, () => {
    const detector = new TakeoverDetector();
    kick(detector, 0, 100);
    kick(detector, 3_000, 100); // connected at 3000
    expect(detector.refused(CONNACK_SERVER_UNAVAILABLE, 3_000 + OWN_CONNECT_RATE_WINDOW_MS - 1)).toBe('none');
    expect(detector.closed(4_600)).toBe('none');
    expect(detector.kicks).toBe(2);
    expect(detector.refused(CONNACK_SERVER_UNAVAILABLE, 3_000 + OWN_CONNECT_RATE_WINDOW_MS)).toBe('conflict');
  });

  it(`a connection that lived ${SHORT_LIVED_MS} ms or more resets the count`, () => {
    const detector = new TakeoverDetector();
    kick(detector, 0);
    kick(detector, 3_000);
    expect(kick(detector, 6_000, SHORT_LIVED_MS)).toBe('none');
    expect(detector.kicks).toBe(0);
    expect(kick(detector, 20_000, SHORT_LIVED_MS - 1)).toBe('none');
    expect(detector.kicks).toBe(1);
  });

  it('an attempt that got no CONNACK (unreachable endpoint, refused handshake) resets the count', () => {
    const detector = new TakeoverDetector();
    kick(detector, 0);
    kick(detector, 3_000);
    expect(detector.closed(6_000)).toBe('none');
    expect(detector.kicks).toBe(0);
  });

  it('a keepalive timeout or an offline browser at the close resets the count', () => {
    for (const facts of [{ keepaliveTimedOut: true }, { offline: true }]) {
      const detector = new TakeoverDetector();
      kick(detector, 0);
      kick(detector, 3_000);
      detector.connected(6_000);
      expect(detector.closed(7_000, facts)).toBe('none');
      expect(detector.kicks).toBe(0);
    }
  });

  it(`a QoS 0 PUBLISH up to ${OWN_QOS0_PUBLISH_WINDOW_MS} ms before the close explains it (AWS IoT closes after a refused publish)`, () => {
    const detector = new TakeoverDetector();
    kick(detector, 0);
    kick(detector, 3_000);
    detector.connected(6_000);
    detector.sent('publish', 6_500, undefined, 0);
    expect(detector.closed(6_500 + OWN_QOS0_PUBLISH_WINDOW_MS)).toBe('none');
    expect(detector.kicks).toBe(0);
    // One more millisecond and it no longer explains the close.
    kick(detector, 10_000);
    kick(detector, 13_000);
    detector.connected(16_000);
    detector.sent('publish', 16_000, undefined, 0);
    expect(detector.closed(16_000 + OWN_QOS0_PUBLISH_WINDOW_MS + 1)).toBe('conflict');
  });

  it('an unacknowledged QoS 1 PUBLISH, SUBSCRIBE or UNSUBSCRIBE explains the close; an acknowledged one does not', () => {
    for (const cmd of ['publish', 'subscribe', 'unsubscribe']) {
      const detector = new TakeoverDetector();
      kick(detector, 0);
      kick(detector, 3_000);
      detector.connected(6_000);
      detector.sent(cmd, 6_100, 7, 1);
      expect(detector.closed(6_100 + OWN_PENDING_ACK_WINDOW_MS), cmd).toBe('none');

      kick(detector, 20_000);
      kick(detector, 23_000);
      detector.connected(26_000);
      detector.sent(cmd, 26_100, 8, 1);
      detector.acknowledged(8);
      expect(detector.closed(27_000), cmd).toBe('conflict');
    }
  });

  it('an acknowledgement awaited for longer than the window does not explain the close', () => {
    const detector = new TakeoverDetector();
    kick(detector, 0);
    kick(detector, 3_000);
    detector.connected(6_000);
    detector.sent('publish', 6_000, 9, 1);
    expect(detector.closed(6_000 + OWN_PENDING_ACK_WINDOW_MS + 1)).toBe('conflict');
  });

  it('the packets of an earlier connection do not excuse a later close', () => {
    const detector = new TakeoverDetector();
    detector.connected(0);
    detector.sent('publish', 100, 3, 1); // never acknowledged: that connection closed
    detector.closed(200);
    detector.connected(1_000);
    expect(detector.closed(2_000)).toBe('none');
    expect(detector.kicks).toBe(1);
    kick(detector, 3_000);
    expect(kick(detector, 6_000)).toBe('conflict');
  });
});

/** A step of a connection's life, as the property tests generate them. */
type Step =
  | { readonly kind: 'kick'; readonly lifeMs: number }
  | { readonly kind: 'rate-refusal' }
  | { readonly kind: 'excused'; readonly how: 'qos0' | 'pending' | 'keepalive' | 'offline' | 'long' | 'unreachable' | 'refused' };

const kickStep = fc.record({ kind: fc.constant('kick' as const), lifeMs: fc.integer({ min: 0, max: SHORT_LIVED_MS - 1 }) });
const excusedStep = fc.record({
  kind: fc.constant('excused' as const),
  how: fc.constantFrom('qos0', 'pending', 'keepalive', 'offline', 'long', 'unreachable', 'refused') as fc.Arbitrary<Extract<Step, { kind: 'excused' }>['how']>,
});
const step: fc.Arbitrary<Step> = fc.oneof(kickStep, fc.constant({ kind: 'rate-refusal' as const }), excusedStep);

/** Plays `steps` on a detector, 30 s apart; returns the verdict of each. */
function play(steps: readonly Step[]): TakeoverVerdict[] {
  const detector = new TakeoverDetector();
  let at = 0;
  let messageId = 0;
  return steps.map((s) => {
    at += 30_000;
    if (s.kind === 'kick') {
      detector.connected(at);
      return detector.closed(at + s.lifeMs);
    }
    if (s.kind === 'rate-refusal') {
      const verdict = detector.refused(CONNACK_SERVER_UNAVAILABLE, at);
      detector.closed(at + 10);
      return verdict;
    }
    switch (s.how) {
      case 'unreachable':
        return detector.closed(at);
      case 'refused':
        detector.refused(5, at);
        return detector.closed(at);
      case 'long':
        detector.connected(at);
        return detector.closed(at + SHORT_LIVED_MS);
      case 'qos0':
        detector.connected(at);
        detector.sent('publish', at + 500, undefined, 0);
        return detector.closed(at + 600);
      case 'pending':
        detector.connected(at);
        messageId += 1;
        detector.sent('publish', at + 500, messageId, 1);
        return detector.closed(at + 700);
      case 'keepalive':
        detector.connected(at);
        return detector.closed(at + 800, { keepaliveTimedOut: true });
      case 'offline':
        detector.connected(at);
        return detector.closed(at + 800, { offline: true });
    }
  });
}

describe('TakeoverDetector under attack (fast-check)', () => {
  it('never concludes a conflict when every close is explained by the network or the client itself', () => {
    fc.assert(
      fc.property(fc.array(excusedStep, { maxLength: 60 }), (steps) => {
        expect(play(steps)).not.toContain('conflict');
      }),
      { numRuns: 2_000 },
    );
  });

  it('concludes a conflict exactly when the last KICKS_BEFORE_CONFLICT steps are kicks or connect-rate refusals, none explained', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const verdicts = play(steps);
        let streak = 0;
        steps.forEach((s, index) => {
          streak = s.kind === 'excused' ? 0 : streak + 1;
          expect(verdicts[index], `step ${index}`).toBe(streak >= KICKS_BEFORE_CONFLICT ? 'conflict' : 'none');
        });
      }),
      { numRuns: 2_000 },
    );
  });
});
