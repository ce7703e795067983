/** Seed: 恢复初始化 item 10: 导出 DMK 成份 (for lost or broken component UKEYs). */
import { procedure } from './types.ts';

export const exportDmkComponents = procedure(
  'export-components',
  { zh: '导出 DMK 成份', en: 'Export DMK components' },
  { zh: '密钥管理 > 导出 DMK 成份', en: 'Key management > Export DMK components' },
  [
    {
      step: 'open',
      kind: 'operator',
      zh: '单击密钥管理 > 导出 DMK 成份。',
      en: 'Click Key management > Export DMK components.',
    },
    {
      step: 'write-component-ukeys',
      kind: 'token',
      zh: '将 DMK 导出到多个成份 UKEY 中：依次插入空白 UKEY 并输入口令。可保证能够重新合成出与原 EVSM 同样的 DMK，但不保证成份内容与原成份 UKEY 完全相同。',
      en: 'Export the DMK to several component UKEYs: insert each blank UKEY and enter its PIN. They recombine to the same DMK; their contents need not equal the original components.',
    },
  ],
);
