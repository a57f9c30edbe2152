import { useState } from "preact/hooks";

export default function Counter({ start, label }: { start: number; label: string }) {
  const [count, setCount] = useState(start);
  return (
    <div>
      <span id="label">{label}</span>
      <button type="button" id="increment" onClick={() => setCount(count + 1)}>
        count {count}
      </button>
    </div>
  );
}
