// The gateway listener built without the models' list (its default): no access filter, only
// the router, as for a gateway whose models have no `spec.access`.
import { anyUnpack } from '@bufbuild/protobuf/wkt';
import { describe, expect, it } from 'vitest';
import { HttpConnectionManagerSchema } from '../../protos/gen/envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager_pb.js';
import { gatewayListener, HCM_FILTER, ROUTER_FILTER } from './listeners.js';
import { DEFAULT_TRANSLATE_OPTIONS } from './options.js';

describe('the gateway listener', () => {
  it('runs only the router filter when given no models', () => {
    const listener = gatewayListener(DEFAULT_TRANSLATE_OPTIONS);
    const filter = listener.filterChains[0]!.filters[0]!;
    expect(filter.name).toBe(HCM_FILTER);
    if (filter.configType.case !== 'typedConfig') throw new Error(String(filter.configType.case));
    const hcm = anyUnpack(filter.configType.value, HttpConnectionManagerSchema)!;
    expect(hcm.httpFilters.map((f) => f.name)).toEqual([ROUTER_FILTER]);
  });
});
