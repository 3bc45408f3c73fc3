import Testing

@Suite struct SimServeEndToEndTests {}
