import { TimeoutError, withTimeout } from '../src/timeout';

describe('withTimeout', () => {
  it('when the work settles first, then its value comes through and onTimeout never runs', async () => {
    const onTimeout = jest.fn();
    await expect(withTimeout(Promise.resolve(42), 1_000, 'slow', onTimeout)).resolves.toBe(42);
    await expect(
      withTimeout(Promise.reject(new Error('refused')), 1_000, 'slow', onTimeout),
    ).rejects.toThrow('refused');
    expect(onTimeout).not.toHaveBeenCalled();
  });

  it('when the deadline passes first, then it rejects with a TimeoutError and onTimeout gets that error', async () => {
    const onTimeout = jest.fn();
    const never = new Promise<never>(() => undefined);
    const outcome = withTimeout(never, 20, 'maths timed out', onTimeout);
    await expect(outcome).rejects.toBeInstanceOf(TimeoutError);
    await expect(outcome).rejects.toThrow('maths timed out');
    expect(onTimeout).toHaveBeenCalledTimes(1);
    expect(onTimeout.mock.calls[0]?.[0]).toBeInstanceOf(TimeoutError);
  });
});
