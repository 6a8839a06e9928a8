import { loadDefinitionFile } from '../../spec/load.js';
import { SpecError } from '../../spec/spec-error.js';
import { summariseDefinition } from '../definition-summary.js';

/** `mlops validate <file>`: every problem at once with its line and path; exit 1 when invalid. */
export async function validateCommand(file: string): Promise<number> {
  try {
    const loaded = await loadDefinitionFile(file);
    console.log(summariseDefinition(loaded.definition, loaded.definitionHash));
    return 0;
  } catch (err) {
    if (err instanceof SpecError) {
      console.error(err.message);
      return 1;
    }
    throw err;
  }
}
