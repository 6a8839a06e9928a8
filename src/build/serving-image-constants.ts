/** Shared by the serving image's build and its entry point (which must not be imported: it runs on load). */
export const SERVING_ARTIFACT_PATH = '/opt/mlops/model/model.json';
