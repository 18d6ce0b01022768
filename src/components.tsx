/**
 * The small pieces every view of the panel uses: a hook that re-renders on
 * a model's signals, a labelled row and a titled section.
 */
import { ISignal } from '@lumino/signaling';
import * as React from 'react';

/**
 * Re-render when any of the signals fires. It renders once more right after
 * subscribing: a signal that fired between the first render and the
 * subscription is not missed.
 */
export function useSignals(...signals: ISignal<any, any>[]): void {
  const [, setCount] = React.useState(0);
  React.useEffect(() => {
    const bump = () => setCount(n => n + 1);
    signals.forEach(s => s.connect(bump));
    bump();
    return () => {
      signals.forEach(s => s.disconnect(bump));
    };
  }, signals);
}

export function Row(props: { label: string; children: React.ReactNode }) {
  return (
    <div className="jp-SmCost-row">
      <span className="jp-SmCost-label">{props.label}</span>
      <span className="jp-SmCost-value">{props.children}</span>
    </div>
  );
}

export function Section(props: {
  title: string;
  name: string;
  children: React.ReactNode;
}) {
  const id = `jp-SmCost-h-${props.name}`;
  return (
    <section
      className={`jp-SmCost-section jp-SmCost-${props.name}`}
      aria-labelledby={id}
    >
      <h3 id={id} className="jp-SmCost-sectionTitle">
        {props.title}
      </h3>
      {props.children}
    </section>
  );
}
