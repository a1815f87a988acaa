// The name a proxyless client registers the least-load policy under, and the one the control
// plane puts in a cluster's TypedStruct (gRFC A52: the client looks the type URL's last segment
// up among its registered policies and skips the entry when it has none by that name).
export const LEAST_LOAD_POLICY = 'switchyard.least_load';
export const LEAST_LOAD_TYPE_URL = `type.googleapis.com/${LEAST_LOAD_POLICY}`;
