// The part of autocannon 8's programmatic API the Worker benchmark uses (the package ships no types).
declare module "autocannon" {
  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      duration?: number;
      /** Requests to send in all, instead of `duration`. */
      amount?: number;
      /** Worker threads that send the load; with them, `setupRequest` is a module path. */
      workers?: number;
      requests?: Array<{ method?: string; path?: string; headers?: Record<string, string>; setupRequest?: string | ((request: Record<string, unknown>, context: unknown) => Record<string, unknown>) }>;
    }
    interface Histogram {
      average: number;
      /** Requests only: how many were sent in all. */
      total: number;
      p50: number;
      p99: number;
    }
    interface Result {
      requests: Histogram;
      latency: Histogram;
      non2xx: number;
      errors: number;
    }
  }
  function autocannon(options: autocannon.Options): Promise<autocannon.Result>;
  export default autocannon;
}
