/** Seed: 外部存储 › 步骤2：恢复初始化, items 1–8 (import DMK, sync auth or make new 1-of-1 auth). */
import { procedure } from './types.ts';

export const recoveryInit = procedure(
  'recovery-init',
  { zh: '恢复初始化', en: 'Recovery init' },
  { zh: '密钥管理 > 恢复初始化', en: 'Key management > Recovery init' },
  [
    {
      step: 'open',
      kind: 'operator',
      zh: '登录 VsmManager 软件，单击密钥管理 > 恢复初始化。',
      en: 'Log in to VsmManager and click Key management > Recovery init.',
    },
    {
      step: 'confirm-wipe',
      kind: 'operator',
      zh: '类同原始初始化，该操作将清除设备内的全部密钥，单击下一步。',
      en: 'As with original init, this wipes every key in the device; click Next.',
    },
    {
      step: 'enter-component-count',
      kind: 'operator',
      zh: '在恢复初始化第一步中，输入 DMK 成份 UKEY 数目，单击下一步。',
      en: 'In step 1 of recovery init, enter the number of DMK component UKEYs and click Next.',
    },
    {
      step: 'import-component',
      kind: 'token',
      repeats: true,
      zh: '在恢复初始化第二步中，依次插入 n 个成份 UKEY 并输入 UKEY 口令，在 UKEY 列表中选择 DMK 成份 UKEY，单击导入成份 UKEY；成份 UKEY 的导入次序无关，但不能将同一个成份 UKEY 多次导入。',
      en: 'In step 2, insert each of the n component UKEYs and enter its PIN, choose the DMK component UKEY in the list and click Import component UKEY; the order does not matter, but the same component UKEY may not be imported twice.',
    },
    {
      step: 'combine-dmk',
      kind: 'device',
      zh: '成份 UKEY 导入完成后，单击合成 DMK。',
      en: 'When every component UKEY is imported, click Combine DMK.',
    },
    {
      step: 'sync-auth',
      kind: 'token',
      optional: true,
      zh: '多机备份的 EVSM 若共用一套授权 UKEY，则选择同步授权信息，插入有效授权 UKEY 输入口令，单击完成。',
      en: 'Devices sharing one set of authorization UKEYs: choose Sync authorization info, insert a valid authorization UKEY, enter its PIN and click Finish.',
    },
    {
      step: 'new-auth',
      kind: 'token',
      optional: true,
      zh: '每台 EVSM 使用独立的授权 UKEY：选择制作新的授权 UKEY > 1选1授权控制机制，并确定新的授权控制机制，单击完成。',
      en: 'Each device with its own authorization UKEYs: choose Make new authorization UKEYs > 1-of-1 control, confirm the new policy and click Finish.',
    },
  ],
);
