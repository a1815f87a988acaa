// The grpc-js side of the least-load policy: one pick_first leaf per endpoint (as round_robin
// keeps them), all kept connected; the channel's state is READY while any leaf is, with a
// LeastLoadPicker over the READY ones. Each endpoint's load figures live as long as its leaf,
// so a new picker (a leaf changing state, a new address list) keeps the counts of calls in flight.
import { type ChannelOptions, connectivityState, experimental } from '@grpc/grpc-js';
import { LeastLoadConfig } from './config.js';
import { EndpointLoad } from './endpoint-load.js';
import { LEAST_LOAD_POLICY } from './name.js';
import { LeastLoadPicker } from './picker.js';

interface Child {
  readonly leaf: experimental.LeafLoadBalancer;
  readonly load: EndpointLoad;
}

export class LeastLoadBalancer implements experimental.LoadBalancer {
  private readonly children = new Map<string, Child>();
  private state = connectivityState.IDLE;
  private config = new LeastLoadConfig();
  private paused = false;
  private lastError: string | null = null;

  constructor(private readonly helper: experimental.ChannelControlHelper) {}

  updateAddressList(
    endpoints: experimental.StatusOr<experimental.Endpoint[]>,
    config: experimental.TypedLoadBalancingConfig,
    options: ChannelOptions,
    resolutionNote: string,
  ): boolean {
    if (!(config instanceof LeastLoadConfig)) return false;
    if (!endpoints.ok) {
      if (this.children.size === 0)
        this.publish(
          connectivityState.TRANSIENT_FAILURE,
          new experimental.UnavailablePicker(endpoints.error),
          endpoints.error.details,
        );
      return true;
    }
    if (endpoints.value.length === 0) {
      const message = `no endpoints. Resolution note: ${resolutionNote}`;
      this.publish(
        connectivityState.TRANSIENT_FAILURE,
        new experimental.UnavailablePicker({ details: message }),
        message,
      );
      return false;
    }
    this.config = config;
    this.paused = true;
    const seen = new Set<string>();
    for (const endpoint of endpoints.value) {
      const name = experimental.endpointToString(endpoint);
      seen.add(name);
      const child = this.children.get(name);
      if (child) child.leaf.updateEndpoint(endpoint, options);
      else
        this.children.set(name, {
          leaf: this.leaf(endpoint, options, resolutionNote),
          load: new EndpointLoad(),
        });
    }
    for (const [name, child] of this.children)
      if (seen.has(name)) child.leaf.startConnecting();
      else {
        child.leaf.destroy();
        this.children.delete(name);
      }
    this.paused = false;
    this.refresh();
    return true;
  }

  private leaf(
    endpoint: experimental.Endpoint,
    options: ChannelOptions,
    note: string,
  ): experimental.LeafLoadBalancer {
    const helper = experimental.createChildChannelControlHelper(this.helper, {
      updateState: (state, _picker, error) => {
        // A lost connection may mean the address list is stale.
        if (this.state === connectivityState.READY && state !== connectivityState.READY)
          this.helper.requestReresolution();
        if (error) this.lastError = error;
        this.refresh();
      },
    });
    return new experimental.LeafLoadBalancer(endpoint, helper, options, note);
  }

  private count(state: connectivityState): number {
    let n = 0;
    for (const c of this.children.values()) if (c.leaf.getConnectivityState() === state) n++;
    return n;
  }

  private refresh(): void {
    if (this.paused) return;
    const ready = [...this.children.values()].filter(
      (c) => c.leaf.getConnectivityState() === connectivityState.READY,
    );
    if (ready.length > 0) {
      const endpoints = ready.map((c) => ({ picker: c.leaf.getPicker(), load: c.load }));
      this.publish(connectivityState.READY, new LeastLoadPicker(endpoints, this.config.reportTtlMs), null);
    } else if (this.count(connectivityState.CONNECTING) > 0)
      this.publish(connectivityState.CONNECTING, new experimental.QueuePicker(this), null);
    else if (this.count(connectivityState.TRANSIENT_FAILURE) > 0) {
      const message = `${LEAST_LOAD_POLICY}: no endpoint connected. Last error: ${this.lastError}`;
      this.publish(
        connectivityState.TRANSIENT_FAILURE,
        new experimental.UnavailablePicker({ details: message }),
        message,
      );
    } else this.publish(connectivityState.IDLE, new experimental.QueuePicker(this), null);
    // Every endpoint stays connected, so that the pick can go anywhere.
    for (const c of this.children.values())
      if (c.leaf.getConnectivityState() === connectivityState.IDLE) c.leaf.exitIdle();
  }

  private publish(state: connectivityState, picker: experimental.Picker, error: string | null): void {
    this.state = state;
    this.helper.updateState(state, picker, error);
  }

  exitIdle(): void {
    // IDLE only without endpoints, and then there is nothing to connect to.
  }

  resetBackoff(): void {
    // The leaves keep their own backoff.
  }

  destroy(): void {
    for (const c of this.children.values()) c.leaf.destroy();
    this.children.clear();
  }

  getTypeName(): string {
    return LEAST_LOAD_POLICY;
  }
}
