// setupFiles of the unit tier (jest.config.js): it runs without the native addon. ts/native.ts loads
// $ALBERT_TRAINER_ADDON when set; this path does not exist, so a test that reaches the addon fails
// with ERR_ADDON_LOAD naming it (and the folder's name says why).
import * as os from 'os';
import * as path from 'path';

process.env.ALBERT_TRAINER_ADDON = path.join(os.tmpdir(), 'the-unit-tier-runs-without-the-addon-see-jest.config.js', 'albert_native.node');
