// Registers every built-in source and sink type. One import per component; each module calls
// registerSourceType / registerSinkType with its schema and factory.
import './sources/stdin/index.ts';
import './sources/sdk/index.ts';
import './sinks/stdout/index.ts';
import './sinks/file/index.ts';
import './sources/otlp/index.ts';
import './sinks/http/index.ts';
import './sources/file/index.ts';
import './sinks/aws-eventbridge/index.ts';
import './sinks/huawei-ces/index.ts';
import './sinks/huawei-aom/index.ts';
import './sinks/alibaba-cms/index.ts';
