// Imported first by suites that run an xDS-managed pod in their own process: grpc-js-xds reads
// its RBAC switch once, when it loads, and the suite's clients load it before the pod would.
process.env.GRPC_XDS_EXPERIMENTAL_RBAC ??= 'true';
