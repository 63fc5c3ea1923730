import { useCallback, useEffect, useState } from 'react';

export interface Loaded<T> {
  /** The latest answer; while a new load runs, the previous one stays here. */
  data: T | undefined;
  /** The latest failure, cleared by the next success. */
  error: unknown;
  /** A load (first, after `load` changed, or reload()) has not answered yet. */
  loading: boolean;
  reload: () => void;
}

interface Settled<T> {
  load?: () => Promise<T>;
  generation: number;
  data?: T;
  error?: unknown;
}

/**
 * Runs `load` when it changes (wrap it in useCallback with its inputs) and on reload(). An answer
 * that arrives after a newer load started is dropped.
 */
export function useLoad<T>(load: () => Promise<T>): Loaded<T> {
  const [generation, setGeneration] = useState(0);
  const [settled, setSettled] = useState<Settled<T>>({ generation: -1 });
  useEffect(() => {
    let current = true;
    load().then(
      (data) => {
        if (current) setSettled({ load, generation, data });
      },
      (error: unknown) => {
        if (current) setSettled((prev) => ({ ...prev, load, generation, error }));
      },
    );
    return () => {
      current = false;
    };
  }, [load, generation]);
  const reload = useCallback(() => setGeneration((n) => n + 1), []);
  return {
    data: settled.data,
    error: settled.error,
    loading: settled.load !== load || settled.generation !== generation,
    reload,
  };
}
