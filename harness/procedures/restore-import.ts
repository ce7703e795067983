/** Seed: 密钥同步 › 步骤2：导入备份密钥 (any 2 of the 3 KBK UKEYs rebuild the KBK). */
import { procedure } from './types.ts';

export const restoreImport = procedure(
  'restore-import',
  { zh: '导入备份密钥', en: 'Restore import' },
  { zh: '密钥管理 > 恢复导入 > 从文件中恢复密钥', en: 'Key management > Restore import > Restore keys from file' },
  [
    {
      step: 'open',
      kind: 'operator',
      zh: '登录 VsmManager 客户端，单击密钥管理 > 恢复导入 > 从文件中恢复密钥，系统提示读取。',
      en: 'Log in to the VsmManager client and click Key management > Restore import > Restore keys from file.',
    },
    {
      step: 'ukey-window',
      kind: 'operator',
      zh: '在 UKEY 操作窗口中，单击下一步。',
      en: 'In the UKEY window, click Next.',
    },
    {
      step: 'choose-kbk-ukey',
      kind: 'token',
      zh: '依照系统提示操作并在 UKEY 列表中，单击密钥备份密钥 UKEY > 确定。',
      en: 'Following the prompts, click the key backup key (KBK) UKEY in the UKEY list > OK.',
    },
    {
      step: 'verify-pin',
      kind: 'token',
      zh: '在 VERIFY 窗口中，输入 UKEY 口令，单击确定。',
      en: 'In the VERIFY window, enter the UKEY PIN and click OK.',
    },
    {
      step: 'choose-second-kbk-ukey',
      kind: 'token',
      repeats: true,
      zh: '由任意2个密钥备份 UKEY 即可还原出原始 KBK：插入第二个密钥备份密钥 UKEY，输入口令，单击确定。',
      en: 'Any 2 KBK UKEYs rebuild the KBK: insert a second KBK UKEY, enter its PIN and click OK.',
    },
    {
      step: 'choose-backup-file',
      kind: 'operator',
      zh: '依照系统提示选择备份文件 > 打开，完成密钥备份导入。',
      en: 'When prompted, choose the backup file > Open; the backed-up keys are imported.',
    },
  ],
);
