/**
 * Races one store call against a deadline of `ms`: the call's value mapped by `onValue`, its throw or
 * rejection mapped by `onError`, or `onTimeout` once `ms` has passed, whichever comes first. The
 * signal passed to `start` aborts at the deadline; a store that ignores it is still cut off.
 * Resolves, never rejects.
 */
export function raceDeadline<T, R>(ms: number, start: (signal: AbortSignal) => Promise<T>, onValue: (value: T) => R, onError: (error: unknown) => R, onTimeout: R): Promise<R> {
  return new Promise((resolve) => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      resolve(onTimeout);
      controller.abort();
    }, ms);
    const settle = (result: R) => {
      clearTimeout(timer);
      resolve(result);
    };
    let pending: Promise<T>;
    try {
      pending = start(controller.signal);
    } catch (error) {
      settle(onError(error));
      return;
    }
    Promise.resolve(pending).then((value) => settle(onValue(value)), (error: unknown) => settle(onError(error)));
  });
}
