import type { Logger } from '../observability/logger.ts';

/** The last warning or error a component logged, for the status page. */
export interface Problem {
  message: string;
  at: number;
}

/** `logger`, telling `onProblem` of every warning and error it (or a child of it) logs. */
export function problemLogger(logger: Logger, onProblem: (p: Problem) => void): Logger {
  return {
    debug: (m, f) => logger.debug(m, f),
    info: (m, f) => logger.info(m, f),
    warn: (m, f) => {
      onProblem({ message: m, at: Date.now() });
      logger.warn(m, f);
    },
    error: (m, f) => {
      onProblem({ message: m, at: Date.now() });
      logger.error(m, f);
    },
    child: (fields) => problemLogger(logger.child(fields), onProblem),
  };
}
