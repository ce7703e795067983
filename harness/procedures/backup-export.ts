/** Seed: 密钥同步 › 步骤1：导出备份密钥 (internal storage). */
import { procedure } from './types.ts';

export const backupExport = procedure(
  'backup-export',
  { zh: '导出备份密钥', en: 'Backup export' },
  { zh: '密钥管理 > 备份导出', en: 'Key management > Backup export' },
  [
    {
      step: 'open',
      kind: 'operator',
      zh: '登录 VsmManager 客户端，单击密钥管理 > 备份导出。',
      en: 'Log in to the VsmManager client and click Key management > Backup export.',
    },
    {
      step: 'choose-keys',
      kind: 'operator',
      zh: '在选择导出密钥类型和索引弹窗中，根据用户需求，支持选择全部密钥或者输入指定索引。',
      en: 'In the "choose key type and index" dialog, choose all keys or enter the given indices.',
    },
    {
      step: 'choose-blank-ukeys',
      kind: 'token',
      zh: '依照系统提示操作并在 UKEY 列表中，选择空 UKEY，单击确定。',
      en: 'Following the prompts, choose blank UKEYs in the UKEY list and click OK.',
    },
    {
      step: 'enter-pin',
      kind: 'token',
      zh: '按照系统提示插入空白 UKEY 并输入口令，单击下一步 > 输入 UKEY 口令（EVSM 出厂默认管理口令见产品手册）。',
      en: 'Insert the blank UKEY when prompted and enter its PIN: Next > Enter UKEY PIN (the factory management PIN is in the product manual).',
    },
    {
      step: 'write-kbk-ukeys',
      kind: 'device',
      zh: 'EVSM 将依次制作出3个 KBK（密钥备份密钥）UKEY，由3个密钥管理员分别保管。',
      en: 'The EVSM makes 3 KBK (key backup key) UKEYs one after another; 3 key custodians keep one each.',
    },
    {
      step: 'choose-file',
      kind: 'operator',
      zh: '系统提示用户选择密钥备份文件名；按提示选择文件名（或选择保存到 UKEY 内），单击下一步。',
      en: 'When prompted, choose the backup file name (or choose to keep the backup inside a UKEY) and click Next.',
    },
    {
      step: 'export',
      kind: 'device',
      zh: 'EVSM 将逐步的备份导出全部应用密钥，进度条显示备份进度情况。',
      en: 'The EVSM exports the application keys one by one; a progress bar shows the progress.',
    },
    {
      step: 'result',
      kind: 'operator',
      zh: '完成后系统显示结果，单击确定。3个 KBK UKEY 和备份文件需妥善保管，待密钥恢复时使用。',
      en: 'When done the result is shown; click OK. Keep the 3 KBK UKEYs and the backup file safe for the restore.',
    },
  ],
);
