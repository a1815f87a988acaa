// grpc-js-xds 1.14 reads its experimental switches once, when it is first loaded; this module
// is imported ahead of it. client_side_weighted_round_robin (gRFC A58) is behind
// GRPC_EXPERIMENTAL_XDS_WRR_LB: the test clients turn it on so that a ModelRoute with
// `proxylessBalancing: { mode: orca }` is balanced by the pods' load reports (docs/ENDPOINTS.md).
process.env.GRPC_EXPERIMENTAL_XDS_WRR_LB ??= 'true';
