// The import rules of the house (docs/ARCHITECTURE.md, "The house"), checked by `make check`
// (`npm run deps`): the build fails when one is broken.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'data-plane-not-into-control-plane',
      comment: 'The data plane shares code with the control plane only through kernel/.',
      severity: 'error',
      from: { path: '^data-plane/' },
      to: { path: '^control-plane/' },
    },
    {
      name: 'control-plane-not-into-data-plane',
      comment: 'The control plane knows pods only through the contract in kernel/contract/.',
      severity: 'error',
      from: { path: '^control-plane/' },
      to: { path: '^data-plane/' },
    },
    {
      name: 'kernel-imports-neither-program',
      comment: 'kernel/ is what both programs share, so it can depend on neither.',
      severity: 'error',
      from: { path: '^kernel/' },
      to: { path: '^(control-plane|data-plane)/' },
    },
    {
      name: 'protos-and-envoy-call-no-program',
      comment: 'protos/ and envoy/ hold schemas and configuration, not callers of either program.',
      severity: 'error',
      from: { path: '^(protos|envoy)/' },
      to: { path: '^(control-plane|data-plane|kernel)/' },
    },
    {
      name: 'translate-and-validate-do-no-io',
      comment:
        'translate/ and validate/ are pure: policy in, resources or problems out. Sockets, files, gRPC and NATS belong to the runners around them.',
      severity: 'error',
      from: { path: '^control-plane/(translate|validate)/', pathNot: '\\.test\\.ts$' },
      to: {
        path: [
          '^(node:)?(net|tls|dgram|fs|fs/promises|http|https|http2|child_process|worker_threads)$',
          '(^|/)node_modules/@grpc/',
          '(^|/)node_modules/@nats-io/',
        ],
      },
    },
    {
      name: 'pure-core-imports-only-the-pure-core',
      comment:
        'policy/, translate/ and validate/ are the start of the one-way path (policy -> IR -> translate -> validate -> cache -> ADS): they never reach into the store, the xDS cache and servers, the APIs, the runners or the PKI.',
      severity: 'error',
      from: { path: '^control-plane/(policy|translate|validate)/', pathNot: '\\.test\\.ts$' },
      to: { path: '^control-plane/(store|xds|api|admin|pipeline|cli|audit|auth|metrics|pki)/' },
    },
    {
      name: 'pki-entered-through-its-index',
      comment: 'control-plane/pki/ is entered only through control-plane/pki/index.ts from outside it.',
      severity: 'error',
      from: { pathNot: '^control-plane/pki/' },
      to: { path: '^control-plane/pki/', pathNot: '^control-plane/pki/index\\.ts$' },
    },
    {
      name: 'no-circular',
      comment: 'No import cycles, type-only imports included.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '^(protos/gen|node_modules|kernel/bundle/dist[^/]*)/' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.mts', '.js', '.mjs', '.json'],
      conditionNames: ['import', 'require', 'node', 'default'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
